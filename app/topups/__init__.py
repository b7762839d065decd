"""Stripe top-ups: Checkout Sessions for adding money, and the signed webhook that credits (or refunds) them."""
