"""API keys: bearer keys of an owner account for /api and, with the API issue, /v1 and MCP."""
