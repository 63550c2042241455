"""Workspaces and who may do what in them.

Later issues add brands, prompts, monitors, tasks, answers; every one of them hangs off a
workspace, which is the unit of access control.
"""

import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.db import models
from django.utils.text import slugify


class Workspace(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    #: Posting stops (tasks are held) once this month's spend would pass it; empty = no limit.
    monthly_budget_usd = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, verbose_name="monthly budget (USD)"
    )
    members: models.ManyToManyField = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="workspaces"
    )
    #: The set-up steps someone chose to skip (``selectors.onboarding.STEPS`` keys).
    onboarding_skipped = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._unique_slug()
        super().save(*args, **kwargs)

    def _unique_slug(self) -> str:
        base = slugify(self.name)[:120] or "workspace"
        slug, n = base, 2
        while Workspace.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="unique_membership"),
        ]
        ordering = ["workspace__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.get_role_display()})"

    @property
    def can_write(self) -> bool:
        return self.role in (Role.OWNER, Role.EDITOR)

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Used"
    REVOKED = "revoked", "Withdrawn"
    EXPIRED = "expired", "Expired"


class Invitation(models.Model):
    """A link that lets one person join a workspace in a role, once, before it expires.

    The link carries the row's id and a random secret, signed with the site's key; the row
    keeps only a hash of the secret. A link therefore needs both the key and the secret:
    a copy of the database (or the admin) cannot rebuild one, and nobody can show it again
    after it was handed to its owner. It is used up by one conditional UPDATE (see
    ``services.invitations``), so two people cannot both join with it.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    #: Who it is meant for (an email address, a name), so its owners recognise it; shown to
    #: the workspace's owners only, never on the link's page.
    note = models.CharField(max_length=200, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_sent",
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_accepted",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="invitation_used_or_revoked_not_both",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="invitation_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} invitation to {self.workspace}"

    def status_at(self, now) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= now:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING


_INVITATION_SALT = "monitoring.invitation"


def invitation_secret_new() -> str:
    return secrets.token_urlsafe(24)


def invitation_secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def invitation_token_make(*, invitation_id: int, secret: str) -> str:
    """The token of an invitation's link: its id and secret, signed with the site's key."""
    return signing.Signer(salt=_INVITATION_SALT).sign(f"{invitation_id}.{secret}")


def invitation_token_read(token: str) -> tuple[int, str] | None:
    """The (id, secret) a token carries, or None when it is not one of ours."""
    try:
        value = signing.Signer(salt=_INVITATION_SALT).unsign(token)
    except signing.BadSignature:
        return None
    invitation_id, _, secret = value.partition(".")
    if not (invitation_id.isdigit() and len(invitation_id) <= 18 and secret):
        return None
    return int(invitation_id), secret


class Heartbeat(models.Model):
    """When a background worker last ran the heartbeat job (read by /healthz).

    One row per name; the worker's schedule touches it every minute.
    """

    name = models.CharField(max_length=50, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
