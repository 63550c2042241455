"""The task engine: post queued tasks in batches, reconcile, collect, expire — exactly once.

Called by the jobs (``monitoring.jobs``); the only code that uses the API client. Every
write it makes goes through ``monitoring.services`` (history rows, enqueueing, analysis).
"""
