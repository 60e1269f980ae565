"""The database console (PostgreSQL): insight, optimisation actions and their worker, and the
daily snapshots that keep trends."""
