"""In-process fakes of external services (GitHub, ...) served over real HTTP."""
