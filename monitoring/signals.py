"""Install the background schedules after migrations, idempotently."""

from django.db.models.signals import post_migrate
from django.dispatch import receiver

#: (name, job, minutes between runs; None = hourly). Jobs are the paths in ``monitoring.jobs``.
SCHEDULES = [
    ("models_refresh", "monitoring.jobs.models_refresh", None),
    ("pipeline_tick", "monitoring.jobs.pipeline_tick", 1),
    ("heartbeat", "monitoring.jobs.heartbeat", 1),
]


@receiver(post_migrate)
def ensure_schedules(sender, **kwargs) -> None:
    if sender.name != "monitoring":
        return
    from django_q.models import Schedule

    for name, func, minutes in SCHEDULES:
        kind = Schedule.HOURLY if minutes is None else Schedule.MINUTES
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": kind, "minutes": minutes, "repeats": -1},
        )
