"""Owner-facing HTML. Mounted only by app.create_app()."""

from dashboard.routes import router

__all__ = ["router"]
