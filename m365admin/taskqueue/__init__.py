"""What the database task queue (django-tasks-db) lacks for collector runs on many hosts:
enqueue-once claims, leases renewed by a worker's heartbeat, retries with backoff, and
per-tenant slots (docs/tasks.md). `manage.py worker` runs tasks with all of it."""
