"""Shared test helpers: servers, webhook examples."""
