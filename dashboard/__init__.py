"""Owner-facing HTML. Mounted only by app.create_app()."""

from dashboard.routes import ROUTES

__all__ = ["ROUTES"]
