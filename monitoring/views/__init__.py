"""Monitoring's pages outside a feature folder: the dashboard, and the machine endpoints (probes,
Prometheus metrics) served at the site root."""
