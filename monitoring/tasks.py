"""django-q2 entry points: ids in, one service call."""

from monitoring import services


def heartbeat() -> None:
    """Scheduled every minute so /healthz can tell whether a worker is alive."""
    services.heartbeat_touch()
