"""Run the AIsa API sandbox in the foreground: ``manage.py aisa_sandbox --port 8765``."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from sandbox.faults import parse_cli
from sandbox.server import DEFAULT_API_KEYS, SandboxServer

#: Seconds before a task posted to the dev sandbox is done: a person can watch it.
DEFAULT_DELAY = 3.0


class Command(BaseCommand):
    help = "Serve the local emulator of the AIsa / DataForSEO LLM Responses API."
    requires_system_checks = []  # a dev tool: it must run whatever state the project is in

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--seed", default="0", help="Same seed, same answers.")
        parser.add_argument(
            "--delay",
            type=float,
            default=DEFAULT_DELAY,
            help=f"Seconds before a posted task is done (default {DEFAULT_DELAY:g}: long "
            "enough to watch its status change, short enough not to wait).",
        )
        parser.add_argument(
            "--delay-jitter",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="Each task is done after delay + uniform(0, SECONDS), the same for a seed.",
        )
        parser.add_argument("--market", default=None, help="A market JSON file (brands).")
        parser.add_argument(
            "--fault",
            action="append",
            default=[],
            metavar="KIND[:COUNT[:ENDPOINT[:NAME=VALUE,...]]]",
            help="Misbehave on the next matching requests (COUNT 0 = forever), e.g. "
            "envelope_code:1:task_post:code=40203; repeatable.",
        )
        parser.add_argument(
            "--key",
            action="append",
            default=[],
            help="Another accepted key; for the /v3 base, a 'login:password' pair. Repeatable.",
        )
        parser.add_argument("--quiet", action="store_true", help="Do not log each request.")

    def handle(self, *args, **options):
        if options["delay"] < 0 or options["delay_jitter"] < 0:
            raise CommandError("--delay and --delay-jitter cannot be negative.")
        try:
            rules = [parse_cli(spec) for spec in options["fault"]]
            server = SandboxServer(
                options["host"],
                options["port"],
                seed=options["seed"],
                task_delay=options["delay"],
                task_delay_jitter=options["delay_jitter"],
                market_path=options["market"],
                api_keys=set(DEFAULT_API_KEYS) | set(options["key"]),
                verbose=not options["quiet"],
            )
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        for rule in rules:
            server.faults.add(rule)
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        server.start()
        keys = ", ".join(sorted(server.api_keys))
        self.stdout.write(f"AIsa sandbox serving on {server.url}")
        self.stdout.write(f"  AIsa base:       {server.aisa_base_url}")
        self.stdout.write(f"  DataForSEO base: {server.dataforseo_base_url}")
        self.stdout.write(f"  Accepted keys:   {keys}  (Bearer; Basic needs --key login:password)")
        self.stdout.write(
            f"  Control:         {server.url}/_sandbox/ received|faults|complete|reset|config"
        )
        delay = f"{server.task_delay:g} s"
        if server.task_delay_jitter:
            delay += f" + up to {server.task_delay_jitter:g} s"
        self.stdout.write(f"  Task delay:      {delay}")
        for rule in rules:
            self.stdout.write(f"  Fault:           {rule.as_dict()}")
        self.stdout.write("Ctrl-C to stop.")
        try:
            while not stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
            self.stdout.write("Sandbox stopped.")
