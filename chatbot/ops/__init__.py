"""Operating the bot: the worker's heartbeat, the health checks and the Prometheus metrics."""
