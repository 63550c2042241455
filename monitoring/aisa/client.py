"""HTTP client of the AIsa gateway / DataForSEO "LLM Responses" API.

The only module that talks HTTP to the external API. It owns the URL, auth, timeouts and
the mapping of every answer to typed results (``results.py``) or to one error type
(``AisaError``). It never retries: ``task_post`` costs money and has no idempotency key, so
retrying is the pipeline's decision, made on ``AisaError.outcome``.

Rate limiting is the caller's: ``before_call(endpoint)`` runs right before each request is
sent (and only then); it may wait for a free slot, or raise an ``AisaError`` (outcome
``RATE_LIMITED``, with ``retry_after``), and then nothing is sent.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ConnectTimeoutError

from monitoring.aisa import contract
from monitoring.aisa.contract import Endpoint, Outcome
from monitoring.aisa.errors import (
    ADVICE,
    AisaError,
    describe_error_body,
    quote_body,
    retry_after_seconds,
)
from monitoring.aisa.results import (
    CallInfo,
    IdListItem,
    PostBatch,
    ReadyTask,
    TaskResult,
    model_info,
)

logger = logging.getLogger(__name__)

#: Response headers worth keeping: billing and rate-limit information.
_KEPT_HEADER_PREFIXES = ("x-aisa-", "x-ratelimit-", "retry-after")
_PRICE_HEADER = "x-aisa-price-usd"
#: What a JSON answer of an unexpected shape raises while it is parsed into typed results.
_PARSE_ERRORS = (TypeError, ValueError, KeyError, AttributeError, InvalidOperation)
#: Configuration errors: the request cannot be built, so it was never sent.
_BAD_URL = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
)


class AisaClient:
    """One pooled ``requests.Session``; one method per endpoint; no retries."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        auth_scheme: str = "bearer",
        family: str = contract.DEFAULT_FAMILY,
        connect_timeout: float = 5,
        read_timeout: float = 60,
        session: requests.Session | None = None,
        before_call: Callable[[Endpoint], None] | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("No API key: set AISA_API_KEY.")
        contract.endpoint_path(Endpoint.MODELS, family=family)  # rejects unknown families
        self.base_url = base_url.rstrip("/")
        self.family = family
        self.auth_scheme = auth_scheme.lower()
        self.timeout = (connect_timeout, read_timeout)
        self._headers = {
            "Authorization": _authorization(api_key, self.auth_scheme),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._secrets = _secret_forms(api_key, self._headers["Authorization"])
        self._session = session or _new_session()
        self._before_call = before_call

    @property
    def before_call(self) -> Callable[[Endpoint], None] | None:
        return self._before_call

    def __repr__(self) -> str:  # deliberately without the key
        return f"AisaClient({self.base_url!r}, family={self.family!r}, auth={self.auth_scheme!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> AisaClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- Endpoints ---------------------------------------------------------------------

    def task_post(self, tasks: list[dict]) -> PostBatch:
        """Create up to 100 tasks; per-task failures are outcomes, in request order."""
        problem = contract.validate_batch(tasks)
        if problem:
            raise ValueError(problem.message)
        envelope, call = self._call(Endpoint.TASK_POST, body=tasks)
        with self._parsing(Endpoint.TASK_POST, call):
            return PostBatch.from_json(tasks, envelope, call)

    def task_get(self, task_id: str) -> TaskResult:
        """A task's status; its parsed answer once done (not ready is an outcome)."""
        return self._one_task(Endpoint.TASK_GET, task_id=task_id)

    def live(self, task: dict) -> TaskResult:
        """Ask synchronously (one task, up to ~120 s); costs money like ``task_post``."""
        return self._one_task(Endpoint.LIVE, body=[task])

    def tasks_ready(self) -> list[ReadyTask]:
        """Completed tasks not collected yet (last 3 days, up to 1000)."""
        return self._results(Endpoint.TASKS_READY, ReadyTask.from_json)

    def models(self) -> list[contract.ModelInfo]:
        return self._results(Endpoint.MODELS, model_info)

    def id_list(
        self,
        *,
        datetime_from: datetime,
        datetime_to: datetime,
        limit: int = contract.ID_LIST_MAX_LIMIT,
        offset: int = 0,
        sort: str = "desc",
        include_metadata: bool = True,
    ) -> list[IdListItem]:
        """Tasks created in a window: how to learn whether a lost post created its tasks."""
        for value in (datetime_from, datetime_to):
            if value.tzinfo is None:
                raise ValueError("id_list needs aware datetimes (UTC), not naive ones.")
        if not 1 <= limit <= contract.ID_LIST_MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {contract.ID_LIST_MAX_LIMIT}.")
        if sort not in ("asc", "desc"):
            raise ValueError("sort must be 'asc' or 'desc'.")
        query = {
            "datetime_from": contract.dt_string(datetime_from),
            "datetime_to": contract.dt_string(datetime_to),
            "limit": limit,
            "offset": offset,
            "sort": sort,
            "include_metadata": include_metadata,
        }
        return self._results(Endpoint.ID_LIST, IdListItem.from_json, body=[query])

    # --- Shared steps ------------------------------------------------------------------

    def _one_task(self, endpoint: Endpoint, **request: Any) -> TaskResult:
        envelope, call = self._call(endpoint, **request)
        with self._parsing(endpoint, call):
            tasks = envelope["tasks"]
            if not tasks:
                raise ValueError("the answer holds no task")
            return TaskResult.from_json(tasks[0], call)

    def _results(self, endpoint: Endpoint, parse, **request: Any) -> list:
        """The ``result`` items of a single-task answer; a failed task raises."""
        envelope, call = self._call(endpoint, **request)
        with self._parsing(endpoint, call):
            items: list = []
            for task in envelope["tasks"]:
                code = task["status_code"]
                if not isinstance(code, int):
                    raise TypeError(f"a task without a status code: {code!r}")
                outcome = contract.outcome_for_code(code)
                if outcome is not Outcome.SUCCESS:
                    raise self._error(
                        endpoint,
                        outcome,
                        f"the task answered {code} {task.get('status_message')!r}",
                        status_code=code,
                        call=call,
                    )
                items.extend(parse(raw) for raw in task.get("result") or ())
            return items

    def _call(self, endpoint: Endpoint, *, body: Any = None, task_id: str = ""):
        """One HTTP exchange; returns the decoded envelope or raises AisaError."""
        method = contract.ENDPOINT_METHODS[endpoint]
        task_id = quote(task_id, safe="")  # an id is one path segment, whatever it holds
        url = self.base_url + contract.endpoint_path(endpoint, family=self.family, task_id=task_id)
        data = None if body is None else json.dumps(body, default=_json_default).encode()
        if self._before_call is not None:
            self._before_call(endpoint)  # may wait, or raise AisaError: then nothing is sent
        started = time.perf_counter()
        try:
            response = self._session.request(
                method,
                url,
                data=data,
                headers=self._headers,
                timeout=self.timeout,
                allow_redirects=False,  # a redirected POST would turn into a GET
            )
        except requests.RequestException as exc:
            raise self._transport_error(endpoint, exc) from exc
        call = _call_info(endpoint, response, time.perf_counter() - started)
        logger.debug(
            "AIsa %s: HTTP %s in %.3fs, price %s",
            endpoint,
            call.http_status,
            call.elapsed,
            call.price_usd,
        )
        return self._envelope(endpoint, response, call), call

    def _envelope(self, endpoint: Endpoint, response: requests.Response, call: CallInfo) -> dict:
        body = _json_or_none(response.content)
        if not 200 <= response.status_code < 300:
            raise self._http_error(endpoint, response, body, call)
        if not isinstance(body, dict):
            what = "malformed JSON" if body is None else "JSON that is not an object"
            excerpt = quote_body(response.content, response.headers.get("Content-Type", ""))
            raise self._unreadable(endpoint, call, f"HTTP 200 with {what}: {excerpt}")
        code = body.get("status_code")
        if not isinstance(code, int) or isinstance(code, bool):
            raise self._unreadable(endpoint, call, "an answer without a status_code")
        outcome = contract.outcome_for_code(code)
        if outcome is not Outcome.SUCCESS:
            message = f"the API answered {code} {body.get('status_message')!r}"
            raise self._error(endpoint, outcome, message, status_code=code, call=call)
        if not isinstance(body.get("tasks"), list):
            raise self._unreadable(endpoint, call, f"status {code} but no tasks array")
        return body

    @contextmanager
    def _parsing(self, endpoint: Endpoint, call: CallInfo) -> Iterator[None]:
        """Turn a surprise in an otherwise successful answer into an AisaError."""
        try:
            yield
        except _PARSE_ERRORS as exc:
            raise self._unreadable(endpoint, call, f"an unexpected answer ({exc})") from exc

    # --- Errors ------------------------------------------------------------------------

    def _error(
        self,
        endpoint: Endpoint,
        outcome: Outcome,
        what: str,
        call: CallInfo | None = None,
        **details,
    ) -> AisaError:
        if call is not None:  # an answer arrived: its status and Retry-After header count
            details["http_status"] = call.http_status
            details["retry_after"] = retry_after_seconds(call.headers.get("Retry-After"))
        retry_after = details.get("retry_after")
        wait = f" Retry after {retry_after:g} s." if retry_after is not None else ""
        message = self._redact(f"AIsa {endpoint} failed: {what}. {ADVICE[outcome]}{wait}")
        err = AisaError(message, outcome=outcome, endpoint=str(endpoint), call=call, **details)
        logger.warning("%s", message)
        return err

    def _unreadable(self, endpoint: Endpoint, call: CallInfo, what: str) -> AisaError:
        # A POST that got an answer was processed, and we cannot read what it created.
        outcome = _lost_answer_outcome(endpoint)
        return self._error(endpoint, outcome, what, call)

    def _http_error(self, endpoint, response, body, call) -> AisaError:
        status = response.status_code
        code, what, gateway_code = describe_error_body(
            body, response.content, response.headers.get("Content-Type", "")
        )
        # A DataForSEO envelope's code is more precise than the HTTP status, unless it
        # claims success on an error status.
        outcome = contract.outcome_for_code(code) if code is not None else None
        if outcome is None or outcome in (Outcome.SUCCESS, Outcome.NOT_READY):
            outcome = contract.gateway_outcome(status)
        if _gateway_timed_out(status, gateway_code) and _is_post(endpoint):
            outcome = Outcome.UNKNOWN  # the gateway gave up waiting; upstream had the request
        return self._error(
            endpoint,
            outcome,
            f"HTTP {status}: {what}",
            call,
            status_code=code,
        )

    def _transport_error(self, endpoint: Endpoint, exc: requests.RequestException) -> AisaError:
        if isinstance(exc, _BAD_URL):
            return self._error(endpoint, Outcome.PERMANENT, f"bad URL ({exc}); check AISA_BASE_URL")
        if _never_sent(exc):
            what = (
                "connect timeout" if isinstance(exc, requests.ConnectTimeout) else "no connection"
            )
            return self._error(
                endpoint, Outcome.RETRYABLE, f"{what}, the request was not sent ({exc})"
            )
        kind = "read timeout" if isinstance(exc, requests.ReadTimeout) else "connection lost"
        outcome = _lost_answer_outcome(endpoint)
        return self._error(endpoint, outcome, f"{kind} after the request was sent ({exc})")

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


# --- Helpers ------------------------------------------------------------------------------


def _new_session() -> requests.Session:
    session = requests.Session()
    # max_retries=0: urllib3 must never resend a POST on its own (no idempotency key).
    adapter = HTTPAdapter(max_retries=0, pool_connections=4, pool_maxsize=16)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _authorization(api_key: str, scheme: str) -> str:
    if scheme == "bearer":
        return f"Bearer {api_key}"
    if scheme == "basic":
        if ":" not in api_key:
            raise ValueError("Basic auth needs the key as 'login:password'.")
        return "Basic " + base64.b64encode(api_key.encode()).decode()
    raise ValueError(f"Unknown auth scheme {scheme!r}; use 'bearer' or 'basic'.")


def _secret_forms(api_key: str, authorization: str) -> tuple[str, ...]:
    """Every form in which the key could leak into text; longest first."""
    forms = {api_key, authorization.split(" ", 1)[1]}
    forms.update(part for part in api_key.split(":", 1) if len(part) >= 6)
    return tuple(sorted(forms, key=len, reverse=True))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content, parse_float=Decimal)
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        return None


def _call_info(endpoint: Endpoint, response: requests.Response, elapsed: float) -> CallInfo:
    kept = CaseInsensitiveDict(
        (k, v) for k, v in response.headers.items() if k.lower().startswith(_KEPT_HEADER_PREFIXES)
    )
    price = response.headers.get(_PRICE_HEADER)
    try:
        price_usd = Decimal(price.strip()) if price else None
    except InvalidOperation:
        price_usd = None
    return CallInfo(str(endpoint), response.status_code, price_usd, kept, elapsed)


def _is_post(endpoint: Endpoint) -> bool:
    return contract.ENDPOINT_METHODS[endpoint] == "POST" and endpoint is not Endpoint.ID_LIST


def _lost_answer_outcome(endpoint: Endpoint) -> Outcome:
    """A request that reached the server but whose answer was lost: billable POSTs may
    have created tasks (outcome unknown); reads are idempotent, so retrying is safe."""
    return Outcome.UNKNOWN if _is_post(endpoint) else Outcome.RETRYABLE


def _never_sent(exc: requests.RequestException) -> bool:
    """Connect timeouts, refused connections and DNS failures: nothing reached the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3 wraps it in MaxRetryError
    # NewConnectionError (refused, DNS) subclasses ConnectTimeoutError in urllib3.
    return isinstance(reason, ConnectTimeoutError)


def _gateway_timed_out(status: int, gateway_code: str) -> bool:
    return status == 504 or gateway_code == "upstream_timeout"
