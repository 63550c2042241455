"""What came back: the answer of a collected task, its citations and fan-out queries."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from monitoring.analysis.links import is_web_url
from monitoring.models.requests import engine_field


class Answer(models.Model):
    task = models.OneToOneField("Task", on_delete=models.CASCADE, related_name="answer")
    workspace = models.ForeignKey("Workspace", on_delete=models.CASCADE, related_name="answers")
    prompt = models.ForeignKey("Prompt", on_delete=models.PROTECT, related_name="answers")
    #: The wording the answer was asked (its task's version). Null only for rows made
    #: outside the pipeline; they show under the prompt's current wording.
    prompt_version = models.ForeignKey(
        "PromptVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="answers"
    )
    text = models.TextField()
    #: The engine that answered (its task's), so the dashboard compares engines.
    engine = engine_field()
    model_name = models.CharField(max_length=100)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    reasoning_tokens = models.PositiveIntegerField(default=0)
    web_search = models.BooleanField(default=False)
    money_spent = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    answered_at = models.DateTimeField(help_text="When the API produced the answer.")
    fan_out_queries = models.JSONField(default=list, blank=True)
    # Decimal amounts are kept exact (written as strings) rather than rounded through floats.
    raw = models.JSONField(
        encoder=DjangoJSONEncoder, help_text="The result object as the API returned it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Copied from the task so the dashboard filters without joining through it.
    monitor = models.ForeignKey(
        "Monitor", null=True, blank=True, on_delete=models.SET_NULL, related_name="answers"
    )
    # --- Analysis (recomputed when brands or aliases change) ---
    analyzed_at = models.DateTimeField(null=True, blank=True)
    #: Whether the answer names any company at all (tracked or not).
    is_informative = models.BooleanField(default=False)
    #: Capitalised names that look like companies or products nobody tracks yet.
    untracked_names = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        indexes = [
            # Covers the dashboard's filters and groupings, so its aggregates over a period
            # read only the index, never the answers' (large) rows. Also serves what
            # (workspace, answered_at) served: it is this index's prefix.
            models.Index(
                fields=[
                    "workspace",
                    "answered_at",
                    "prompt",
                    "prompt_version",
                    "is_informative",
                    "model_name",
                    "web_search",
                    "monitor",
                ],
                name="answer_ws_at_cover",
            ),
            models.Index(fields=["workspace", "prompt"], name="answer_ws_prompt"),
            # The filter form's list of models (DISTINCT model_name) from the index alone.
            models.Index(fields=["workspace", "model_name"], name="answer_ws_model"),
        ]

    def __str__(self) -> str:
        return f"Answer to {self.prompt} ({self.answered_at:%Y-%m-%d})"

    @property
    def asked(self):
        """The question as it was asked: its version, else (an unversioned row) the prompt.

        Both have ``text``, ``system_message`` and ``message_chain``.
        """
        return self.prompt_version if self.prompt_version_id else self.prompt


class Citation(models.Model):
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="citations")
    position = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=2000)
    title = models.CharField(max_length=500, blank=True)
    domain = models.CharField(max_length=253, db_index=True)
    #: The tracked brand owning the cited domain, if any (set by the analysis).
    brand = models.ForeignKey(
        "Brand", null=True, blank=True, on_delete=models.SET_NULL, related_name="citations"
    )

    class Meta:
        ordering = ["answer", "position"]

    def __str__(self) -> str:
        return self.url

    @property
    def is_web(self) -> bool:
        """Whether the URL may become a link (``analysis.links.is_web_url``, the one rule)."""
        return is_web_url(self.url)


class Mention(models.Model):
    """A tracked brand named in an answer: how often, where first, its rank, the spans."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="mentions")
    brand = models.ForeignKey("Brand", on_delete=models.CASCADE, related_name="mentions")
    workspace = models.ForeignKey("Workspace", on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField()
    first_offset = models.PositiveIntegerField()
    #: 1 = the first tracked brand named in the answer.
    rank = models.PositiveSmallIntegerField()
    #: ``[[start, end, term], ...]`` into ``answer.text``, for highlighting.
    spans = models.JSONField(default=list)

    class Meta:
        ordering = ["answer", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["answer", "brand"], name="unique_mention_per_answer"),
        ]
        indexes = [models.Index(fields=["workspace", "brand"], name="mention_ws_brand")]

    def __str__(self) -> str:
        return f"{self.brand_id} ×{self.count} (rank {self.rank})"
