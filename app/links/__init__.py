"""Visitor links: resolve owner/repo/branch/context to a result (cached or newly queued) and redirect."""
