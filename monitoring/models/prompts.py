"""The questions buyers ask, grouped by tags."""

from django.db import models
from django.utils import timezone

from monitoring.aisa import contract


class Tag(models.Model):
    workspace = models.ForeignKey("Workspace", on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_tag_per_workspace"),
        ]

    def __str__(self) -> str:
        return self.name


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "…"


class Prompt(models.Model):
    workspace = models.ForeignKey("Workspace", on_delete=models.CASCADE, related_name="prompts")
    text = models.CharField(max_length=contract.MAX_PROMPT_CHARS)
    tags = models.ManyToManyField(Tag, blank=True, related_name="prompts")
    system_message = models.CharField(max_length=contract.MAX_SYSTEM_MESSAGE_CHARS, blank=True)
    #: Earlier conversation turns: ``[{"role": "user"|"ai", "message": "..."}]``.
    message_chain = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True, help_text="Paused prompts are not sent.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="prompt_ws_created")]

    def __str__(self) -> str:
        return _short(self.text)

    def task_body(
        self, *, request_settings: dict, tag: str | None = None, extra: dict | None = None
    ) -> dict:
        """The exact task object sent for this prompt: what the preview shows is what is posted.

        The prompt's own system message and chain win over the request's.
        """
        body = {**request_settings, "user_prompt": self.text, "tag": tag}
        if self.system_message:
            body["system_message"] = self.system_message
        if self.message_chain:
            body["message_chain"] = self.message_chain
        return contract.build_task(**body, **(extra or {}))


class PromptVersion(models.Model):
    """One wording of a prompt as it was sent: an answer stays under the wording it was asked.

    A prompt's first send makes version 1. Changing the text, system message or chain of a
    prompt that has been sent starts the next version (``services.prompts.prompt_update``),
    so earlier answers keep the question they answered; a wording nobody was sent yet is
    edited in place. The prompt itself keeps the current wording, for the builder.
    """

    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="versions")
    #: 1, 2, … in the order the wordings were used.
    number = models.PositiveIntegerField()
    text = models.CharField(max_length=contract.MAX_PROMPT_CHARS)
    system_message = models.CharField(max_length=contract.MAX_SYSTEM_MESSAGE_CHARS, blank=True)
    message_chain = models.JSONField(default=list, blank=True)
    #: When this wording took effect (the edit, or the first send of version 1).
    created_at = models.DateTimeField(default=timezone.now)
    #: When the next version replaced it; None for the prompt's current wording.
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["prompt_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "number"], name="unique_prompt_version"),
        ]

    def __str__(self) -> str:
        return _short(self.text)

    @property
    def is_current(self) -> bool:
        return self.replaced_at is None
