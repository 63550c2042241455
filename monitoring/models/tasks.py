"""Tasks sent to the API and their history: every status or cost change is a row."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models

from monitoring.models.money import money_field
from monitoring.models.requests import engine_field


class TaskMode(models.TextChoices):
    """How a task is asked: a Standard task (task_post, then collected) or one live call."""

    STANDARD = "standard", "Standard task"
    LIVE = "live", "Live call"


class TaskStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    POSTING = "posting", "Posting"
    POSTED = "posted", "Posted"
    COMPLETED = "completed", "Completed"
    COLLECTED = "collected", "Collected"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"
    REJECTED = "rejected", "Rejected"
    HELD = "held", "Held for budget"
    UNKNOWN = "unknown", "Outcome unknown"
    CANCELLED = "cancelled", "Cancelled"


@dataclass(frozen=True)
class StatusRule:
    """What a status allows next, and what it says about the task."""

    next: frozenset[str]
    #: No more pipeline work is expected (an admin may still retry it).
    final: bool = False
    #: The task may have cost money: the budgets count it.
    billed: bool = False
    #: Posted and not answered yet: polled for its answer.
    waiting: bool = False
    #: Its post's outcome may be unknown: reconciling by tag resolves it.
    reconcilable: bool = False


S = TaskStatus
#: Where a task is created (its first history row goes from here to ``queued``).
NEW = ""

#: The one table of the task's life. Every status change goes through
#: ``services.history``, which refuses anything this table does not allow.
TASK_STATES: dict[str, StatusRule] = {
    NEW: StatusRule(next=frozenset({S.QUEUED})),
    S.QUEUED: StatusRule(next=frozenset({S.POSTING, S.HELD, S.CANCELLED})),
    S.HELD: StatusRule(next=frozenset({S.POSTING, S.CANCELLED})),
    S.POSTING: StatusRule(
        # A webhook can arrive before the post's answer is recorded: completed, collected.
        next=frozenset(
            {S.POSTED, S.UNKNOWN, S.QUEUED, S.FAILED, S.REJECTED, S.COMPLETED, S.COLLECTED}
        ),
        billed=True,
        reconcilable=True,
    ),
    S.POSTED: StatusRule(
        next=frozenset({S.COMPLETED, S.COLLECTED, S.FAILED, S.EXPIRED}), billed=True, waiting=True
    ),
    S.COMPLETED: StatusRule(
        next=frozenset({S.COLLECTED, S.FAILED, S.EXPIRED}), billed=True, waiting=True
    ),
    S.UNKNOWN: StatusRule(
        next=frozenset({S.POSTED, S.QUEUED, S.COMPLETED, S.COLLECTED, S.EXPIRED}),
        billed=True,
        reconcilable=True,
    ),
    S.COLLECTED: StatusRule(next=frozenset(), final=True, billed=True),
    S.FAILED: StatusRule(next=frozenset({S.QUEUED}), final=True, billed=True),
    # A late answer of an expired task is still taken (and was paid for).
    S.EXPIRED: StatusRule(next=frozenset({S.COLLECTED, S.QUEUED}), final=True, billed=True),
    S.REJECTED: StatusRule(next=frozenset({S.QUEUED}), final=True),
    S.CANCELLED: StatusRule(next=frozenset({S.QUEUED}), final=True),
}
del S


def statuses_into(to: str) -> frozenset[str]:
    """The statuses from which a task may move to ``to``."""
    return frozenset(s for s, rule in TASK_STATES.items() if to in rule.next)


def _where(flag: str) -> frozenset[str]:
    return frozenset(s for s, rule in TASK_STATES.items() if getattr(rule, flag))


FINAL_STATUSES = _where("final")
#: Statuses of tasks that may have cost money.
BILLED_STATUSES = _where("billed")
#: Posted, not answered yet: polled.
WAITING_STATUSES = _where("waiting")
RECONCILABLE_STATUSES = _where("reconcilable")
#: Due for a post (claimed by one conditional UPDATE).
POSTABLE_STATUSES = statuses_into(TaskStatus.POSTING)
#: An answer arriving for a task in one of these is stored.
COLLECTABLE_STATUSES = statuses_into(TaskStatus.COLLECTED)
CANCELLABLE_STATUSES = statuses_into(TaskStatus.CANCELLED)
#: What an admin may queue again: a final task the table lets go back to queued.
RETRYABLE_STATUSES = FINAL_STATUSES & statuses_into(TaskStatus.QUEUED)


class Task(models.Model):
    workspace = models.ForeignKey("Workspace", on_delete=models.CASCADE, related_name="tasks")
    # PROTECT: a prompt with answers cannot be deleted by accident; it is paused instead.
    prompt = models.ForeignKey("Prompt", on_delete=models.PROTECT, related_name="tasks")
    #: The prompt's wording this task asks (its body holds the same text); its answer is
    #: filed under it. Set when the task is created (``services.tasks``).
    prompt_version = models.ForeignKey(
        "PromptVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    monitor = models.ForeignKey(
        "Monitor", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    #: The monitor run that created it: a run's status counts and cost come from its tasks.
    monitor_run = models.ForeignKey(
        "MonitorRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    #: The engine (LLM family) asked, and how: live-only engines are always asked live.
    engine = engine_field()
    mode = models.CharField(max_length=10, choices=TaskMode.choices, default=TaskMode.STANDARD)
    #: Generated by the product, unique: how a post whose outcome is unknown is reconciled.
    tag = models.CharField(max_length=64, unique=True)
    #: The exact task object posted (what the builder previewed).
    request_body = models.JSONField()
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.QUEUED)
    provider_task_id = models.CharField(max_length=64, blank=True, db_index=True)
    sample = models.PositiveSmallIntegerField(default=1)
    #: The billed task this one re-sends (an admin's retry); a task is re-sent at most once.
    retry_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retried_as"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error_code = models.IntegerField(null=True, blank=True)
    last_error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)
    #: Set by the conditional UPDATE that claims the task for one posting worker.
    claim_token = models.CharField(max_length=32, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    #: Not before this time: backoff after a retryable failure, or the next poll.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    polls = models.PositiveIntegerField(default=0)
    # The ledger (USD); each change is a cost row in the history, linked to its API call.
    #: The worst case reserved against the budgets when the task was claimed.
    cost_reserved = money_field(null=True, blank=True)
    #: The prepayment the API took when it created the task (task_post's task ``cost``).
    cost_prepaid = money_field(null=True, blank=True)
    #: What the model provider charged for the answer (the result's ``money_spent``).
    money_spent = money_field(null=True, blank=True)
    #: What the task really cost: ``money_spent`` plus the base task price.
    cost_real = money_field(null=True, blank=True)
    #: The gateway's billed price for this task (its share of the call's price header).
    gateway_price = money_field(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="task_status_next"),
            models.Index(fields=["status", "created_at"], name="task_status_created"),
            models.Index(fields=["workspace", "-created_at"], name="task_ws_created"),
            # The budgets' spend since a moment (``selectors.budget``), per workspace and
            # for the whole installation (every workspace's): the tasks claimed since,
            # not every task. One index only: each one more on a task costs posting.
            models.Index(fields=["workspace", "claimed_at"], name="task_ws_claimed"),
        ]

    def __str__(self) -> str:
        return f"{self.tag} ({self.get_status_display()})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def cost_difference(self) -> Decimal | None:
        """Prepaid minus real: a refund when positive, the extra beyond it when negative."""
        if self.cost_prepaid is None or self.cost_real is None:
            return None
        return self.cost_prepaid - self.cost_real

    @property
    def cost_refund(self) -> Decimal | None:
        """What the API should refund: the prepayment beyond the real cost."""
        difference = self.cost_difference
        return None if difference is None else max(difference, Decimal(0))

    @property
    def cost_extra(self) -> Decimal | None:
        """What the real cost took beyond the prepayment."""
        difference = self.cost_difference
        return None if difference is None else max(-difference, Decimal(0))


_STATUS_LABELS: dict[str, str] = dict(TaskStatus.choices)


class TaskEvent(models.Model):
    """One change of a task's status or cost; the timeline on the task page."""

    class Kind(models.TextChoices):
        STATUS = "status", "Status"
        COST = "cost", "Cost"
        #: Something happened to the task that changed neither status nor cost.
        NOTE = "note", "Note"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STATUS)
    status_from = models.CharField(max_length=10, blank=True)
    status_to = models.CharField(max_length=10, blank=True)
    cost_field = models.CharField(max_length=20, blank=True)
    #: The API call that caused this change, when one did: every cent leads to a call.
    api_call = models.ForeignKey(
        "ApiCall", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    error_code = models.IntegerField(null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        if self.kind == self.Kind.COST:
            return f"{self.cost_field} = {self.amount}"
        return f"{self.status_from or '—'} → {self.status_to}"

    @property
    def from_label(self) -> str:
        return _STATUS_LABELS.get(self.status_from, self.status_from)

    @property
    def to_label(self) -> str:
        return _STATUS_LABELS.get(self.status_to, self.status_to)


class ApiCall(models.Model):
    """One HTTP call to the API, paid or not: the ledger the costs are traced to."""

    endpoint = models.CharField(max_length=20)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_count = models.PositiveIntegerField(default=0)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    status_code = models.IntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=20, blank=True)
    #: Sum of the task costs the envelope reported.
    cost_reported = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    #: What the gateway says it charged (X-AISA-Price-USD), when it says.
    gateway_price = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "started_at"], name="apicall_endpoint_at")]

    def __str__(self) -> str:
        return (
            f"{self.endpoint} at {self.started_at:%Y-%m-%d %H:%M:%S} ({self.outcome or 'pending'})"
        )


class PipelineHalt(models.Model):
    """Posting stopped because the API refused payment or credentials; an admin resumes it."""

    reason = models.TextField()
    error_code = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        state = "resolved" if self.resolved_at else "active"
        return f"Posting halted ({state}): {self.reason[:60]}"


class RateWindow(models.Model):
    """A row locked while reserving a call slot, so all workers share one calls/minute limit."""

    name = models.CharField(max_length=20, unique=True)

    def __str__(self) -> str:
        return self.name
