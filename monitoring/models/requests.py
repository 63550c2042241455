"""What is sent: the model catalogue from the API, and monitors (saved request settings)."""

from django.conf import settings
from django.db import models


class LlmModel(models.Model):
    """One model of the ``models`` endpoint, cached so the builder never waits on the API."""

    family = models.CharField(max_length=20, default="claude")
    model_name = models.CharField(max_length=100)
    web_search_supported = models.BooleanField(default=False)
    task_post_supported = models.BooleanField(default=True)
    reasoning = models.BooleanField(default=False)
    #: False once a refresh no longer lists it (kept, since past tasks name it).
    is_available = models.BooleanField(default=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        ordering = ["family", "model_name"]
        verbose_name = "LLM model"
        constraints = [
            models.UniqueConstraint(
                fields=["family", "model_name"], name="unique_model_per_family"
            ),
        ]

    def __str__(self) -> str:
        return self.model_name


class ModelRefresh(models.Model):
    """One attempt to refresh the model catalogue; the last good list survives a failure."""

    family = models.CharField(max_length=20, default="claude")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    model_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        state = "ok" if self.ok else "failed"
        return f"{self.family} models refresh at {self.started_at:%Y-%m-%d %H:%M} ({state})"


class Schedule(models.TextChoices):
    MANUAL = "manual", "Manual"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    CRON = "cron", "Cron expression"


class Monitor(models.Model):
    """Prompts × request settings × schedule × samples per run."""

    workspace = models.ForeignKey("Workspace", on_delete=models.CASCADE, related_name="monitors")
    name = models.CharField(max_length=120)
    prompts: models.ManyToManyField = models.ManyToManyField(
        "Prompt", related_name="monitors", blank=True
    )
    #: Request fields shared by every task (model, sampling, web search...), contract names.
    request_settings = models.JSONField(default=dict)
    samples_per_run = models.PositiveSmallIntegerField(default=1)
    schedule = models.CharField(max_length=10, choices=Schedule.choices, default=Schedule.MANUAL)
    cron = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def cron_expression(self) -> str | None:
        """When the monitor runs, as cron (UTC); None for a manual monitor."""
        return schedule_cron(self.schedule, self.cron)


#: Daily and weekly monitors run at 06:00 UTC (weekly on Mondays).
SCHEDULE_CRON: dict[str, str] = {Schedule.DAILY: "0 6 * * *", Schedule.WEEKLY: "0 6 * * 1"}


def schedule_cron(schedule: str, cron: str = "") -> str | None:
    if schedule == Schedule.CRON:
        return cron or None
    return SCHEDULE_CRON.get(schedule)


class MonitorRun(models.Model):
    """One scheduled slot of a monitor; the unique slot makes a run happen once, whoever runs it."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="runs")
    slot = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    task_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-slot"]
        constraints = [
            models.UniqueConstraint(fields=["monitor", "slot"], name="unique_monitor_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.monitor} at {self.slot:%Y-%m-%d %H:%M}"
