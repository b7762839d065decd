"""Background jobs: arq WorkerSettings and the tasks (thin wrappers around app services)."""
