"""Budgets: the per-account ledger of credits, top-ups and charges."""
