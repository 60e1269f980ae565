"""Registries of the base layer: the apps register their plug-ins here, beside their own code
(a health check, a detection, an alert source, a notifier), and the code that runs them reads
the registry, so `collectors`, `monitoring` and `security` never import one another
(docs/architecture.md)."""
