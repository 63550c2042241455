"""A local HTTP emulator of the AIsa / DataForSEO "LLM Responses" API (a dev and test tool).

    with SandboxServer(seed=0) as sandbox:
        requests.post(sandbox.aisa_base_url + "/ai_optimization/claude/llm_responses/task_post",
                      json=[{...}], headers={"Authorization": "Bearer sk-aisa-sandbox"})

No Django import here, so scripts can use it; the rules come from ``monitoring.aisa.contract``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import json
import socket
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from monitoring.aisa import contract
from monitoring.aisa.contract import ENDPOINT_METHODS, LLM_FAMILIES, Endpoint

from . import endpoints, webhooks
from .answers import load_market
from .faults import (
    FaultBox,
    FaultRule,
    gateway_body,
    make_rule,
    poison_result,
    raw_fault,
    rule_from_dict,
)
from .state import TaskStore

AISA_PREFIX = "/apis/v1/dataforseo"
DATAFORSEO_PREFIX = "/v3"
CONTROL_PREFIX = "/_sandbox/"
DEFAULT_API_KEYS = frozenset({"sk-aisa-sandbox", "sk-aisa-test-key"})
#: A client that gave up (e.g. a read timeout during a latency fault): expected, not an error.
CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class Route(NamedTuple):
    base: str | None  # "aisa", "dataforseo" or None for a path outside both bases
    endpoint: Endpoint | None  # None: unknown path (or wrong method)
    family: str = ""
    task_id: str = ""


def route(method: str, path: str) -> Route:
    """Which endpoint a request is for, matched against ``contract.endpoint_path``."""
    path = path.rstrip("/")
    bases = (("aisa", AISA_PREFIX), ("dataforseo", DATAFORSEO_PREFIX))
    base = next((name for name, prefix in bases if path.startswith(prefix + "/")), None)
    if base is None:
        return Route(None, None)
    rest = path.removeprefix(dict(bases)[base])
    for endpoint in Endpoint:
        if ENDPOINT_METHODS[endpoint] != method:
            continue
        if endpoint is Endpoint.ID_LIST:
            if rest == contract.endpoint_path(endpoint):
                return Route(base, endpoint)
            continue
        for family in LLM_FAMILIES:
            if not contract.family_offers(family, endpoint):
                continue  # e.g. Perplexity's task_post: not found, as on the real API
            if endpoint is Endpoint.TASK_GET:
                head = contract.endpoint_path(endpoint, family=family, task_id="x")[:-1]
                task_id = rest.removeprefix(head) if rest.startswith(head) else ""
                if task_id and "/" not in task_id:
                    return Route(base, endpoint, family, task_id)
            elif rest == contract.endpoint_path(endpoint, family=family):
                return Route(base, endpoint, family)
    return Route(base, None)


def count_tasks(body: bytes) -> int:
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return 0
    return len(data) if isinstance(data, list) else int(isinstance(data, dict))


def to_json(data: Any) -> bytes:
    """JSON with Decimal money written as plain numbers, like the API does."""
    return json.dumps(
        data, default=lambda v: float(v) if isinstance(v, Decimal) else str(v)
    ).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AIsaSandbox/1.0"
    disable_nagle_algorithm = True  # headers and body go out in two writes

    @property
    def sandbox(self) -> SandboxServer:
        return self.server.sandbox  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def handle(self) -> None:
        try:
            super().handle()
        except CLIENT_GONE:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.sandbox.verbose:
            sys.stderr.write(f"sandbox: {self.address_string()} {format % args}\n")

    def _handle(self, method: str) -> None:
        started = time.perf_counter()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urlsplit(self.path).path
        if path.startswith(CONTROL_PREFIX):  # not counted: a reset waits for the others
            self._send_json(*self.sandbox.control(method, path.removeprefix(CONTROL_PREFIX), body))
            return
        with self.sandbox.busy:
            self.sandbox.requests_in_flight += 1
        try:
            self._handle_api(method, path, body, started)
        finally:
            with self.sandbox.busy:
                self.sandbox.requests_in_flight -= 1
                self.sandbox.busy.notify_all()

    def _handle_api(self, method: str, path: str, body: bytes, started: float) -> None:
        r = route(method, path)
        name = r.endpoint.value if r.endpoint else "unknown"
        self.sandbox.store.record_call(name, count_tasks(body) if method == "POST" else 0)
        delay, fault = self.sandbox.faults.take(name)
        if delay:
            time.sleep(delay)
        kind = fault.kind if fault else ""
        if kind == "drop_before_accept":
            self._drop()
            return
        if fault and (canned := raw_fault(fault)):
            self._send(*canned)
            return
        ctx = self.sandbox.context(started)
        if kind in ("rate_limit", "payment"):
            code = contract.RATE_LIMIT if kind == "rate_limit" else contract.PAYMENT_REQUIRED
            self._send_json(*endpoints.envelope(ctx, code, None))
            return
        if kind == "envelope_code":
            _, envelope = endpoints.envelope(ctx, int(fault.params["code"]), None)
            self._send_json(200, envelope)
            return
        auth_failure = self._auth_failure(r.base, ctx)
        answer = auth_failure or self._dispatch(ctx, r, body, fault)
        if kind == "drop_after_accept":
            self._drop()
            return
        headers = {}
        if not auth_failure and r.base == "aisa" and r.endpoint in endpoints.PAID:
            headers = endpoints.price_header(answer[1])
        self._send_json(*answer, headers)

    def _dispatch(self, ctx, r: Route, body: bytes, fault: FaultRule | None) -> tuple:
        match r.endpoint:
            case Endpoint.TASK_POST:
                every = 0
                if fault and fault.kind == "task_rate_limit":
                    every = int(fault.params.get("every", 2))
                return endpoints.task_post(
                    ctx, r.family, body, rate_limit_every=every, poison=self._poison
                )
            case Endpoint.TASK_GET:
                return endpoints.task_get(ctx, r.family, r.task_id)
            case Endpoint.TASKS_READY:
                return endpoints.tasks_ready(ctx, r.family)
            case Endpoint.MODELS:
                return endpoints.models(ctx, r.family)
            case Endpoint.LIVE:
                return endpoints.live(ctx, r.family, body)
            case Endpoint.ID_LIST:
                return endpoints.id_list(ctx, body)
        return endpoints.envelope(ctx, contract.NOT_FOUND, None)

    def _poison(self, params: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        """The result of a task being created, poisoned if a ``poison`` fault matches it."""
        rule = self.sandbox.faults.take_poison(
            tag=params.get("tag") or "", prompt=params.get("user_prompt") or ""
        )
        return result if rule is None else poison_result(result, rule)

    def _auth_failure(self, base: str | None, ctx) -> tuple | None:
        """The answer to a request without a valid key, or None when the key is fine."""
        if base is None:
            return None
        scheme, _, credential = self.headers.get("Authorization", "").partition(" ")
        credential = credential.strip()
        if base == "aisa":
            if scheme.lower() != "bearer" or not credential:
                message = "No API key given: send 'Authorization: Bearer <key>'."
                return 401, gateway_body("authentication_error", "missing_api_key", message)
            if credential not in self.sandbox.api_keys:
                message = "The API key is not valid."
                return 401, gateway_body("authentication_error", "invalid_api_key", message)
            return None
        try:
            pair = base64.b64decode(credential, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            pair = ""
        if scheme.lower() == "basic" and pair in self.sandbox.api_keys:
            return None
        return endpoints.envelope(ctx, contract.UNAUTHORIZED, None)

    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else to_json(body)
        self._send(status, "application/json", data, headers or {})

    def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _drop(self) -> None:
        """Close the connection without a byte of answer, like a network failure."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _charge(result: dict[str, Any]) -> Decimal:
    """What the model charged for a result (nothing, when a ``poison`` fault spoilt it)."""
    try:
        return Decimal(result.get("money_spent") or 0)
    except (ArithmeticError, TypeError, ValueError):
        return Decimal(0)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], CLIENT_GONE):
            return  # the client hung up: nothing to report
        super().handle_error(request, client_address)


class SandboxServer:
    """The sandbox: serve it in a daemon thread, switch faults on, read what it received."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed: Any = 0,
        task_delay: float = 0.0,
        task_delay_jitter: float = 0.0,
        api_keys: set[str] | None = None,
        market_path: str | Path | None = None,
        webhook_timeout: float = webhooks.WEBHOOK_TIMEOUT,
        verbose: bool = False,
    ) -> None:
        self.seed, self.task_delay, self.task_delay_jitter = seed, task_delay, task_delay_jitter
        self.api_keys = set(DEFAULT_API_KEYS if api_keys is None else api_keys)
        self._initial = (seed, task_delay, task_delay_jitter, frozenset(self.api_keys))
        self.market = load_market(market_path)
        self.webhook_timeout, self.verbose = webhook_timeout, verbose
        self.store = TaskStore()
        self.faults = FaultBox()
        self._httpd = _HTTPServer((host, port), Handler)
        self._httpd.sandbox = self  # type: ignore[attr-defined]
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        #: Requests being served (one slowed by a latency fault outlives its client's timeout).
        self.busy = threading.Condition()
        self.requests_in_flight = 0

    # --- running -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def aisa_base_url(self) -> str:
        return self.url + AISA_PREFIX

    @property
    def dataforseo_base_url(self) -> str:
        return self.url + DATAFORSEO_PREFIX

    def start(self) -> SandboxServer:
        serve = threading.Thread(target=self._httpd.serve_forever, args=(0.1,), daemon=True)
        ticker = threading.Thread(target=self._tick_forever, daemon=True)
        self._threads = [serve, ticker]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._threads:
            self._httpd.shutdown()
        self._httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- control -------------------------------------------------------------------------

    def add_fault(self, kind: str, count: int = 1, endpoint: str | None = None, **params) -> dict:
        rule = make_rule(kind, count, endpoint, **params)
        self.faults.add(rule)
        return rule.as_dict()

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self, *, settle: float = 10.0) -> None:
        """Forget tasks, the record and faults; back to the initial seed, delays and keys.

        It first waits (up to ``settle`` seconds) for requests still being served: one slowed
        by a latency fault, whose client gave up, would otherwise record what it accepted
        in the next test's record.
        """
        with self.busy:
            self.busy.wait_for(lambda: self.requests_in_flight == 0, timeout=settle)
        self.store.reset()
        self.faults.clear()
        self.seed, self.task_delay, self.task_delay_jitter, keys = self._initial
        self.api_keys = set(keys)

    def complete_all(self) -> None:
        """Complete every pending task now (and fire its webhooks)."""
        self.store.complete_all()
        self._fire_webhooks()

    def billed_total(self) -> Decimal:
        """What the account was billed for posted tasks: the prepayment while a task is not
        done; once done, the base task price plus its answer's ``money_spent`` (the rest of
        the prepayment refunded, or the extra charged)."""
        with self.store.lock:
            self.store.refresh()
            return sum(
                (
                    contract.TASK_BASE_PRICE_USD + _charge(t.result) if t.done else t.cost
                    for t in self.store.tasks.values()
                ),
                Decimal(0),
            )

    def accepted_tags(self) -> Counter[str]:
        with self.store.lock:
            return Counter(self.store.accepted)

    @property
    def calls(self) -> list[tuple[str, int]]:
        with self.store.lock:
            return list(self.store.calls)

    @property
    def request_log(self) -> list[tuple[float, str]]:
        """(time.monotonic() on arrival, endpoint) of every API request received."""
        with self.store.lock:
            return list(self.store.request_log)

    def busiest_window(self, seconds: float) -> int:
        """The most API requests that arrived within any ``seconds`` long window."""
        times = sorted(t for t, _ in self.request_log)
        most, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= seconds:
                start += 1
            most = max(most, end - start + 1)
        return most

    @property
    def tasks(self) -> dict:
        return self.store.tasks

    @property
    def webhook_log(self) -> list[dict]:
        with self.store.lock:
            return list(self.store.webhook_log)

    def context(self, started: float | None = None) -> endpoints.Context:
        ctx = endpoints.Context(
            self.store, self.market, self.seed, self.task_delay, self.task_delay_jitter
        )
        if started is not None:
            ctx.started = started
        return ctx

    def control(self, method: str, action: str, body: bytes) -> tuple[int, Any]:
        """The loopback control API under ``/_sandbox/`` (no auth: a local dev tool)."""
        try:
            data = json.loads(body or b"null")
            match method, action.rstrip("/"):
                case "GET", "received":
                    return 200, self.store.received()
                case "GET", "faults":
                    return 200, {"faults": self.faults.rules()}
                case "POST", "faults":
                    for rule in data if isinstance(data, list) else [data]:
                        self.faults.add(rule_from_dict(rule))
                    return 200, {"faults": self.faults.rules()}
                case "DELETE", "faults":
                    self.clear_faults()
                    return 200, {"faults": []}
                case "POST", "reset":
                    self.reset()
                    return 200, {"ok": True}
                case "POST", "complete":
                    self.complete_all()
                    return 200, {"ok": True}
                case "POST", "config":
                    data = data or {}
                    self.task_delay = float(data.get("task_delay", self.task_delay))
                    jitter = data.get("task_delay_jitter", self.task_delay_jitter)
                    self.task_delay_jitter = float(jitter)
                    self.seed = data.get("seed", self.seed)
                    return 200, {
                        "task_delay": self.task_delay,
                        "task_delay_jitter": self.task_delay_jitter,
                        "seed": self.seed,
                    }
        except (ValueError, TypeError, AttributeError) as exc:
            return 400, {"error": str(exc)}
        return 404, {"error": f"No control action {method} /_sandbox/{action}."}

    # --- webhooks ------------------------------------------------------------------------

    def _tick_forever(self) -> None:
        while not self._stopping.wait(0.2):
            self._fire_webhooks()

    def _fire_webhooks(self) -> None:
        generation = self.store.generation
        for task in self.store.take_due_webhooks():
            _, body = endpoints.result_envelope(self.context(), task)
            log = functools.partial(self._log_webhook, generation)
            webhooks.deliver_in_background(task, to_json(body), log, self.webhook_timeout)

    def _log_webhook(self, generation: int, attempt: dict) -> None:
        with self.store.lock:
            if generation == self.store.generation:
                self.store.webhook_log.append(attempt)
