"""The task pipeline: post queued tasks in batches, reconcile, collect, expire — exactly once.

These are services (every write of the pipeline happens here); ``monitoring.tasks`` holds the
django-q2 entry points that call them, and only those call the API client.
"""
