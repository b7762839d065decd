"""Every context as an API: an OpenAI-compatible base URL and an MCP server per context.json entry."""
