"""Install the background schedules after migrations, idempotently."""

from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def ensure_schedules(sender, **kwargs) -> None:
    if sender.name != "monitoring":
        return
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name="models_refresh",
        defaults={
            "func": "monitoring.jobs.models_refresh",
            "schedule_type": Schedule.HOURLY,
            "repeats": -1,
        },
    )
    Schedule.objects.update_or_create(
        name="pipeline_tick",
        defaults={
            "func": "monitoring.jobs.pipeline_tick",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    Schedule.objects.update_or_create(
        name="heartbeat",
        defaults={
            "func": "monitoring.jobs.heartbeat",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
