"""Install the background schedules after migrations, idempotently; mark the dashboard's
summaries stale when a task, an answer, a mention or a citation is saved one by one, and
change the workspace's version (the key of its cached dashboard) when a brand or a prompt
is."""

from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver

from monitoring.models import (
    Answer,
    Brand,
    Citation,
    Mention,
    Prompt,
    PromptVersion,
    Task,
    Workspace,
    WorkspaceVersion,
)
from monitoring.services.summaries import days_mark, version_bump

#: (name, job, minutes between runs; None = hourly). Jobs are the paths in ``monitoring.jobs``.
SCHEDULES = [
    ("models_refresh", "monitoring.jobs.models_refresh", None),
    ("planner_statistics", "monitoring.jobs.planner_statistics", None),
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


# The pipeline's and the analysis' writes in bulk mark their days themselves (a signal
# never sees a bulk write); these catch the rest: the admin, the shell, the tests'
# factories. No receiver on a mention's or citation's deletion: it would make Django read
# every row of a bulk delete to send its signal. (Their answer's deletion, or a brand's,
# removes the summaries' rows of the same brand or answer day.)
@receiver(post_save, sender=Answer)
@receiver(post_delete, sender=Answer)
def answer_changed(sender, instance: Answer, **kwargs) -> None:
    days_mark([(instance.workspace_id, instance.answered_at)])


@receiver(post_save, sender=Task)
@receiver(post_delete, sender=Task)
def task_changed(sender, instance: Task, **kwargs) -> None:
    days_mark([(instance.workspace_id, instance.created_at)])


@receiver(post_save, sender=Mention)
@receiver(post_save, sender=Citation)
def answer_part_saved(sender, instance: Mention | Citation, **kwargs) -> None:
    answer = instance.answer
    days_mark([(answer.workspace_id, answer.answered_at)])


# The dashboard shows brands' names and kinds and prompts' wordings beside the summaries'
# numbers; a rebuild of the summaries changes the version itself.
@receiver(post_save, sender=Workspace)
def workspace_saved(sender, instance: Workspace, created: bool, **kwargs) -> None:
    if created:
        WorkspaceVersion.objects.get_or_create(workspace=instance)


@receiver(post_save, sender=Brand)
@receiver(post_save, sender=Prompt)
def shown_saved(sender, instance: Brand | Prompt, **kwargs) -> None:
    version_bump(instance.workspace_id)


@receiver(post_delete, sender=Brand)
@receiver(post_delete, sender=Prompt)
def shown_deleted(sender, instance: Brand | Prompt, **kwargs) -> None:
    version_bump(instance.workspace_id, create=False)


@receiver(post_save, sender=PromptVersion)
def wording_saved(sender, instance: PromptVersion, **kwargs) -> None:
    version_bump(instance.prompt.workspace_id)
