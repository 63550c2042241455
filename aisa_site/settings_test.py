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

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not SQLite's shared in-memory database: the live server's threads, the
    # sandbox's webhook calls and a qcluster subprocess then each get a real connection
    # of their own, as in production.
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"aisa-test-{os.getpid()}.sqlite3")
    }
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):  # noqa: F405
    # One test database per run, so two runs on one server (two developers, CI and a
    # developer) do not drop each other's.
    DATABASES["default"]["TEST"] = {"NAME": f"test_aisa_{os.getpid()}"}  # noqa: F405

# django-q2 honours Q_CLUSTER_NAME (a queue of one's own) only when ALT_CLUSTERS exists; without
# it, Conf raises KeyError at import. The crash test gives its qcluster subprocess a private
# queue this way, so no other test run's cluster sharing the Redis db takes its jobs.
Q_CLUSTER = {**Q_CLUSTER, "ALT_CLUSTERS": {}}  # noqa: F405
