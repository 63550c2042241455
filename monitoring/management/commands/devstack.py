"""Run the web server, the django-q2 worker and the API sandbox together in the foreground.

Ctrl-C (or SIGTERM) stops all three; if one of them dies, the others are stopped too, so
nothing is left running in the background.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start web server + background worker + API sandbox; Ctrl-C stops them all."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("WEB_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--no-sandbox", action="store_true", help="Use the configured API.")

    def handle(self, *args, **options):
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        commands = {
            "web": [*manage, "runserver", options["addr"], "--noreload"],
            "worker": [*manage, "qcluster"],
        }
        if not options["no_sandbox"]:
            commands["sandbox"] = [*manage, "aisa_sandbox", "--port", str(settings.SANDBOX_PORT)]
        procs = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        self.stdout.write(
            self.style.SUCCESS(
                f"Running {', '.join(procs)}. Open http://{options['addr']}/ "
                "— Ctrl-C stops everything."
            )
        )
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    self.stderr.write(f"{name} exited with code {proc.returncode}; stopping.")
                    exit_code, stopping = proc.returncode or 1, True
                    break
            time.sleep(0.3)
        self._stop_all(procs)
        sys.exit(exit_code)

    def _stop_all(self, procs):
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        self.stdout.write("Stopped.")
