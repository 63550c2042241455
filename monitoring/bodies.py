"""The exact task object sent for a prompt; the builder's preview and the tasks share it."""

from __future__ import annotations

from monitoring.aisa import contract


def task_body(
    *, prompt, request_settings: dict, tag: str | None = None, extra: dict | None = None
) -> dict:
    """The exact task object sent for a prompt: what the preview shows is what is posted.

    The prompt's own system message and chain win over the request's.
    """
    body = {**request_settings, "user_prompt": prompt.text, "tag": tag}
    if prompt.system_message:
        body["system_message"] = prompt.system_message
    if prompt.message_chain:
        body["message_chain"] = prompt.message_chain
    return contract.build_task(**body, **(extra or {}))
