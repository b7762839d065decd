"""An owner's per-context choices (pause) and per-repository limits (monthly cap)."""
