from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """The local emulator of the AIsa API: a development and test tool, not product code."""

    name = "sandbox"
    verbose_name = "AIsa API sandbox"
