"""Writes and side effects. Views, admin and jobs call these; nothing else writes."""

from __future__ import annotations

from django.utils import timezone

from monitoring.models import Heartbeat, Workspace

CLUSTER_HEARTBEAT = "cluster"


def workspace_rename(*, workspace: Workspace, name: str) -> Workspace:
    workspace.name = name
    workspace.save(update_fields=["name"])
    return workspace


def heartbeat_touch(*, name: str = CLUSTER_HEARTBEAT) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})
