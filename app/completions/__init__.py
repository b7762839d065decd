"""The OpenAI-compatible API: /v1/chat/completions and /v1/models, billed to the caller's API key."""
