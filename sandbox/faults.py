"""Misbehaviour on demand: rules that make the next matching requests fail in a chosen way."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from monitoring.aisa.contract import Endpoint

#: Every fault kind, by the name the client's tests use.
FAULT_KINDS = (
    "latency",  # seconds: sleep, then answer normally
    "http_500",  # gateway api_error
    "http_503",  # gateway upstream_error / upstream_unavailable
    "rate_limit",  # envelope 40202, nothing accepted
    "task_rate_limit",  # every: each Nth task of a task_post batch gets 40202
    "gateway_429",  # retry_after: gateway rate_limit_error with Retry-After
    "unauthorized",  # gateway 401 invalid_api_key, whatever the key
    "payment",  # envelope 40200, HTTP 402
    "envelope_code",  # code: HTTP 200 envelope with that status_code, tasks null, nothing accepted
    "malformed_json",  # HTTP 200 with a truncated JSON body
    "html_error",  # HTTP 502 HTML page
    "text_error",  # HTTP 500 text/plain
    "error_string",  # HTTP 500 {"error": "..."}
    "error_message",  # HTTP 503 {"message": "..."}
    "drop_after_accept",  # process (create and bill tasks), then close without answering
    "drop_before_accept",  # close without processing anything
    "poison",  # poison, match, shape, size: matching posted tasks get a poisoned result
)

#: What a ``poison`` fault puts in a task's result (its ``poison`` parameter).
POISONS = ("surrogate", "nul", "shape", "huge")
#: The wrong shapes of ``poison=shape`` (its ``shape`` parameter).
POISON_SHAPES = ("items", "money", "missing")
#: The character ``surrogate`` and ``nul`` put in every text of the result.
POISON_CHARS = {"surrogate": "\ud800", "nul": "\x00"}
#: A ``huge`` answer's length in characters (5 MB of ASCII).
HUGE_CHARS = 5_000_000


@dataclass
class FaultRule:
    kind: str
    count: int = 1  # matching requests still affected; 0 or -1 = forever
    endpoint: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "count": self.count, "endpoint": self.endpoint, **self.params}


def make_rule(kind: str, count: int = 1, endpoint: str | None = None, **params: Any) -> FaultRule:
    if kind not in FAULT_KINDS:
        raise ValueError(f"Unknown fault kind {kind!r}; expected one of {FAULT_KINDS}.")
    if kind == "task_rate_limit":
        endpoint = endpoint or Endpoint.TASK_POST.value  # it only means something there
    if kind == "envelope_code":
        code = params.get("code")
        if isinstance(code, bool) or not isinstance(code, int | str) or not str(code).isdigit():
            raise ValueError(f"Fault envelope_code needs an integer code, not {code!r}.")
        params = {**params, "code": int(code)}
    if kind == "poison":
        params = _poison_params(endpoint, params)
        endpoint = Endpoint.TASK_POST.value
    if endpoint is not None:
        endpoint = Endpoint(endpoint).value  # raises ValueError on a typo
    return FaultRule(kind, int(count), endpoint, params)


def _poison_params(endpoint: str | None, params: dict[str, Any]) -> dict[str, Any]:
    if endpoint not in (None, Endpoint.TASK_POST.value):
        raise ValueError("Fault poison applies to task_post (the posted tasks' results).")
    params = {"poison": "surrogate", "match": "", **params}
    if params["poison"] not in POISONS:
        raise ValueError(f"Fault poison needs poison= one of {POISONS}, not {params['poison']!r}.")
    if params["poison"] == "shape":
        params.setdefault("shape", POISON_SHAPES[0])
        if params["shape"] not in POISON_SHAPES:
            raise ValueError(f"Fault poison needs shape= one of {POISON_SHAPES}.")
    if params["poison"] == "huge":
        size = params.setdefault("size", HUGE_CHARS)
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"Fault poison needs a positive integer size, not {size!r}.")
    params["match"] = str(params["match"])
    return params


def rule_from_dict(data: dict[str, Any]) -> FaultRule:
    data = dict(data)
    return make_rule(data.pop("kind", ""), data.pop("count", 1), data.pop("endpoint", None), **data)


def parse_cli(spec: str) -> FaultRule:
    """``KIND[:COUNT[:ENDPOINT[:NAME=VALUE,...]]]``, as the management command takes it.

    E.g. ``envelope_code:1:task_post:code=40203`` or ``latency:0::seconds=2.5``.
    """
    kind, count, endpoint, extra = ([*spec.split(":", 3), "", "", ""])[:4]
    params: dict[str, Any] = {}
    for pair in filter(None, extra.split(",")):
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"Bad fault parameter {pair!r}: expected NAME=VALUE.")
        params[name] = _number(value)
    return make_rule(kind, int(count or 1), endpoint or None, **params)


def _number(value: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


class FaultBox:
    """The active rules; thread-safe, consumed by matching requests in order."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.as_dict() for r in self._rules]

    def take(self, endpoint: str | None) -> tuple[float, FaultRule | None]:
        """Total latency to add and the first other fault for one request (both consumed).

        ``poison`` rules are not taken here: they count tasks, not requests (``take_poison``).
        """
        delay, chosen = 0.0, None
        with self._lock:
            for rule in list(self._rules):
                if rule.endpoint not in (None, endpoint) or rule.kind == "poison":
                    continue
                if rule.kind == "latency":
                    delay += float(rule.params.get("seconds", 1))
                elif chosen is None:
                    chosen = rule
                else:
                    continue
                if rule.count > 0:
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
        return delay, chosen

    def take_poison(self, *, tag: str, prompt: str) -> FaultRule | None:
        """The first ``poison`` rule matching a task being created (consumed for it)."""
        with self._lock:
            for rule in self._rules:
                match = rule.params.get("match", "")
                if rule.kind != "poison" or (match and match not in tag and match not in prompt):
                    continue
                if rule.count > 0:
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
                return rule
        return None


def poison_result(result: dict[str, Any], rule: FaultRule) -> dict[str, Any]:
    """A copy of a generated result, poisoned as the rule says.

    - ``surrogate`` / ``nul``: a lone surrogate (U+D800) or a NUL in every text of the
      result: the answer text, a citation's title and URL (one is added), a fan-out query,
      the model name, and an extra field (key and value) only the raw copy keeps;
    - ``shape``: ``items`` is not a list, ``money_spent`` is ``"abc"``, or ``model_name``
      and ``items`` are missing (``shape=items|money|missing``);
    - ``huge``: the answer text is ``size`` characters long (default 5 million).
    """
    result = copy.deepcopy(result)
    poison = rule.params["poison"]
    if poison in POISON_CHARS:
        char = POISON_CHARS[poison]
        section = _first_text_section(result)
        middle = len(section["text"]) // 2
        section["text"] = f"{section['text'][:middle]}{char}{section['text'][middle:]}"
        section["annotations"] = [
            *(section.get("annotations") or []),
            {
                "title": f"Poisoned{char} title",
                "url": f"https://poison.example/{char}",
            },
        ]
        result["fan_out_queries"] = [
            *(result.get("fan_out_queries") or []),
            f"poisoned{char} query",
        ]
        result["model_name"] = f"{result['model_name']}{char}"
        result[f"extra{char}"] = f"only in raw{char}"
    elif poison == "shape":
        shape = rule.params["shape"]
        if shape == "items":
            result["items"] = "not a list"
        elif shape == "money":
            result["money_spent"] = "abc"
        else:
            del result["model_name"], result["items"]
    else:
        sentence = "This answer goes on and on without an end in sight. "
        size = int(rule.params["size"])
        first, *others = _text_sections(result)
        first["text"] = (sentence * (size // len(sentence) + 1))[:size]
        for section in others:  # the answer text is then exactly ``size`` long
            section["text"] = ""
    return result


def _first_text_section(result: dict[str, Any]) -> dict[str, Any]:
    return _text_sections(result)[0]


def _text_sections(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The message's text sections (what the answer text joins); at least one."""
    sections = [
        section
        for item in result["items"]
        if item.get("type") == "message"
        for section in item["sections"]
        if section.get("type") == "text"
    ]
    if not sections:
        raise ValueError("The result has no message text to poison.")
    return sections


def gateway_body(error_type: str, code: str, message: str) -> bytes:
    """The AIsa gateway's own error body."""
    request_id = "req_" + uuid.uuid4().hex[:24]
    error = {"type": error_type, "code": code, "message": message, "request_id": request_id}
    return json.dumps({"error": error}).encode()


JSON = "application/json"


def _gateway(status: int, error_type: str, code: str, message: str):
    return lambda: (status, JSON, gateway_body(error_type, code, message))


def _fixed(status: int, content_type: str, body: bytes):
    return lambda: (status, content_type, body)


#: Faults answered without the endpoint's logic: kind -> () -> (status, content type, body).
RAW_FAULTS = {
    "http_500": _gateway(500, "api_error", "internal_error", "Internal server error."),
    "http_503": _gateway(
        503, "upstream_error", "upstream_unavailable", "The upstream API is unavailable."
    ),
    "unauthorized": _gateway(
        401, "authentication_error", "invalid_api_key", "The API key is not valid."
    ),
    "malformed_json": _fixed(200, JSON, b'{"version": "0.1.20250724", "status_code": 20000, "ta'),
    "html_error": _fixed(
        502,
        "text/html; charset=utf-8",
        b"<html><head><title>502 Bad Gateway</title></head>"
        b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
    ),
    "text_error": _fixed(500, "text/plain; charset=utf-8", b"Internal Server Error"),
    "error_string": _fixed(500, JSON, b'{"error": "Something went wrong"}'),
    "error_message": _fixed(503, JSON, b'{"message": "Service unavailable"}'),
}


def raw_fault(rule: FaultRule) -> tuple[int, str, bytes, dict[str, str]] | None:
    """The canned answer of a fault, or None when the fault needs the endpoint's logic."""
    if rule.kind == "gateway_429":
        body = gateway_body("rate_limit_error", "rate_limit_exceeded", "Too many requests.")
        return 429, JSON, body, {"Retry-After": str(rule.params.get("retry_after", 1))}
    if rule.kind in RAW_FAULTS:
        return *RAW_FAULTS[rule.kind](), {}
    return None
