"""Metrics and health endpoints: what operators and orchestrators see of a worker."""
