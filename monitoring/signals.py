"""Install the background schedules after migrations, idempotently."""

from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def ensure_schedules(sender, **kwargs) -> None:
    if sender.name != "monitoring":
        return
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name="heartbeat",
        defaults={
            "func": "monitoring.tasks.heartbeat",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
