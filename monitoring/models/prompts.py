"""The questions buyers ask, grouped by tags."""

from django.db import models

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
        return self.text if len(self.text) <= 80 else self.text[:77] + "…"

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
