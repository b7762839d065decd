"""GitHub webhook intake (verify, store, enqueue) and processing of stored deliveries."""
