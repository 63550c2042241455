"""Create the demo login and workspaces (idempotent), and print how to log in."""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from monitoring.models import Membership, Role, Workspace

DEMO_USERNAME = "demo"


class Command(BaseCommand):
    help = "Create a demo user with two workspaces, for local development."

    def handle(self, *args, **options):
        password = os.environ.get("DEMO_PASSWORD", "demo-password")
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_USERNAME,
            defaults={"email": "demo@example.com", "is_staff": True, "is_superuser": True},
        )
        if created:
            user.set_password(password)
            user.save()
        for name, role in (("Acme Analytics", Role.OWNER), ("Globex Marketing", Role.EDITOR)):
            workspace = Workspace.objects.filter(name=name).first() or Workspace.objects.create(
                name=name
            )
            Membership.objects.get_or_create(
                workspace=workspace, user=user, defaults={"role": role}
            )
        state = "created" if created else "already there"
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo login ({state}): username '{DEMO_USERNAME}', password '{password}'"
            )
        )
