"""What is sent: the model catalogue from the API, and monitors (saved request settings)."""

from django.conf import settings
from django.db import models

from monitoring.aisa import contract

#: The engines (the API's LLM families), as a model field's choices.
ENGINE_CHOICES = [(key, contract.family_label(key)) for key in contract.LLM_FAMILIES]


def engine_field(**options) -> models.CharField:
    """Which engine (LLM family) asked or is to ask: a task's, an answer's."""
    return models.CharField(
        max_length=20, choices=ENGINE_CHOICES, default=contract.DEFAULT_FAMILY, **options
    )


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
    """Prompts × request settings × schedule × samples per run.

    Its scope is a tag, when it has one: each run asks the tag's active prompts of that
    moment, so prompts tagged later are included. Without a tag it asks its own prompts.
    """

    workspace = models.ForeignKey("Workspace", on_delete=models.CASCADE, related_name="monitors")
    name = models.CharField(max_length=120)
    prompts: models.ManyToManyField = models.ManyToManyField(
        "Prompt", related_name="monitors", blank=True
    )
    tag = models.ForeignKey(
        "Tag",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="monitors",
        help_text="Runs ask this tag's active prompts as they are at each run.",
    )
    #: Request fields shared by every task (model, sampling, web search...), contract names.
    request_settings = models.JSONField(default=dict)
    #: The engines each run asks, each with its model: ``[{"engine": "claude", "model_name":
    #: "…"}, …]``. Empty: one engine, the default, with the settings' model (``targets``).
    engines = models.JSONField(default=list, blank=True)
    samples_per_run = models.PositiveSmallIntegerField(default=1)
    schedule = models.CharField(max_length=10, choices=Schedule.choices, default=Schedule.MANUAL)
    cron = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    #: Slots before this are never run: set when the monitor is resumed or rescheduled, so
    #: neither runs a slot that passed meanwhile. None: from its creation.
    starts_at = models.DateTimeField(null=True, blank=True)
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

    @property
    def runs_from(self):
        """The first moment a scheduled slot may run (no backlog before it)."""
        return self.starts_at or self.created_at

    @property
    def targets(self) -> list[tuple[str, str]]:
        """(engine, model name) pairs each run asks, in order."""
        return engine_targets(self.engines, self.request_settings)

    def engine_requests(self) -> list[tuple[str, dict]]:
        """Each engine a run asks with the settings it is sent (``engine_settings``)."""
        return [
            (engine, engine_settings(self.request_settings, engine=engine, model_name=model))
            for engine, model in self.targets
        ]


def engine_settings(request_settings: dict, *, engine: str, model_name: str) -> dict:
    """A monitor's shared settings as one engine is asked them: its model, and only the
    fields its family takes (``contract.settings_for_family``)."""
    settings = {**request_settings, "model_name": model_name or request_settings.get("model_name")}
    return contract.settings_for_family(settings, family=engine)


def engine_targets(engines, request_settings) -> list[tuple[str, str]]:
    """The (engine, model) pairs of a monitor's or a run's ``engines`` list, read leniently:
    malformed items are skipped; none at all means the default engine and the settings' model.
    """
    pairs = []
    for item in engines if isinstance(engines, list) else []:
        if isinstance(item, dict) and item.get("engine") in contract.LLM_FAMILIES:
            model = item.get("model_name")
            pairs.append((item["engine"], model if isinstance(model, str) else ""))
    if pairs:
        return pairs
    settings_model = (request_settings or {}).get("model_name") or ""
    return [(contract.DEFAULT_FAMILY, settings_model if isinstance(settings_model, str) else "")]


#: Daily and weekly monitors run at 06:00 UTC (weekly on Mondays).
SCHEDULE_CRON: dict[str, str] = {Schedule.DAILY: "0 6 * * *", Schedule.WEEKLY: "0 6 * * 1"}


def schedule_cron(schedule: str, cron: str = "") -> str | None:
    if schedule == Schedule.CRON:
        return cron or None
    return SCHEDULE_CRON.get(schedule)


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Scheduled"
    MANUAL = "manual", "Run now"


class MonitorRun(models.Model):
    """One run of a monitor, with the settings it ran with (editing the monitor later changes
    neither them nor its tasks' bodies).

    The unique slot makes a run happen once, whoever runs it: a scheduled slot, or for "Run
    now" the minute it was asked. Kept when its monitor is deleted (``monitor`` is then null).
    """

    monitor = models.ForeignKey(
        Monitor, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    slot = models.DateTimeField()
    trigger = models.CharField(
        max_length=10, choices=RunTrigger.choices, default=RunTrigger.SCHEDULE
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    task_count = models.PositiveIntegerField(default=0)
    #: What the run asked: the monitor's settings, samples and scope at that moment. Empty
    #: settings: a run made before runs recorded them.
    request_settings = models.JSONField(default=dict, blank=True)
    #: The engines and models it asked (the monitor's ``engines`` then).
    engines = models.JSONField(default=list, blank=True)
    samples_per_run = models.PositiveSmallIntegerField(default=1)
    prompt_count = models.PositiveIntegerField(default=0)
    #: The tag whose prompts it asked, as named then ("" for the monitor's own prompts).
    tag_name = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["-slot", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["monitor", "slot"], name="unique_monitor_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.monitor or 'Deleted monitor'} at {self.slot:%Y-%m-%d %H:%M}"
