"""Usage an owner can see: clicks and cache hits counted off the hot path, money and tokens read from the ledger."""
