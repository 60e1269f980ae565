"""Licences: product names, what counts as spend, subscriptions and waste (issue 15)."""
