"""Settings for the test suite: the development defaults, never a production secret."""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("AISA_API_KEY", "sk-aisa-test-key")

from aisa_site.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
