"""The owners' JSON API under /api: what the dashboard shows, for scripts (session or, later, API key)."""
