"""Threat detections over the synced M365 sign-ins (see base.py for the contract)."""
