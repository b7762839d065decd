"""What operators and their probes call: /livez, /healthz, /metrics."""
