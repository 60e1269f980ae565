"""Alerts: rule evaluation once per tick, the alert pages, and the titles, reasons, groups and
bulk moves that pages, the API and notifications share."""
