"""Typed results of the AIsa client, parsed from the API's JSON.

JSON is decoded with ``parse_float=Decimal``, so money arrives as ``Decimal`` (or ``int``
for whole numbers); ``money()`` makes both a ``Decimal``. Times are aware UTC datetimes.
The parsers trust nothing: a wrong type raises ``TypeError``/``ValueError``, which the
client turns into an ``AisaError``. The one exception is a done task's result: a result of
the wrong shape is that task's problem (``TaskResult.problem``, naming the field), not the
call's, so the task can be failed with the reason instead of being polled again in vain.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from monitoring.aisa.contract import ModelInfo, Outcome, outcome_for_code, parse_dt_string

_INVALID_FIELD = re.compile(r"Invalid Field: '([^']*)'")
ZERO = Decimal(0)


#: The ledger's columns hold up to a million dollars (``models.money``).
MAX_USD = Decimal(10) ** 6
#: Token counts are stored in 32-bit integer columns.
MAX_COUNT = 2**31 - 1
#: Errors a value of the wrong type or form raises while it is parsed.
SHAPE_ERRORS = (TypeError, ValueError, KeyError, AttributeError, ArithmeticError)
T = TypeVar("T")


class ShapeError(ValueError):
    """A field is missing or of the wrong type; ``path`` names it (``items[0].sections``)."""

    def __init__(self, problem: str, path: str = "") -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.problem, self.path = problem, path

    def within(self, name: str) -> ShapeError:
        """The same problem, one level up (``name`` is a field or an ``[index]``)."""
        sep = "" if not self.path or self.path.startswith("[") else "."
        return ShapeError(self.problem, f"{name}{sep}{self.path}")


def _field(raw: Mapping, name: str, parse: Callable[[Any], T]) -> T:
    """``parse(raw[name])``; a problem is raised as a ``ShapeError`` naming the field."""
    try:
        return parse(raw.get(name))
    except ShapeError as exc:
        raise exc.within(name) from exc
    except SHAPE_ERRORS as exc:
        raise ShapeError(str(exc), name) from exc


def _each(values: Any, parse: Callable[[Any], T]) -> tuple[T, ...]:
    """Each item of an array parsed; a problem names the item's index."""
    parsed = []
    for i, value in enumerate(_list(values)):
        try:
            parsed.append(parse(value))
        except ShapeError as exc:
            raise exc.within(f"[{i}]") from exc
        except SHAPE_ERRORS as exc:
            raise ShapeError(str(exc), f"[{i}]") from exc
    return tuple(parsed)


def money(value: Any) -> Decimal:
    """USD amount as Decimal; null counts as zero (failed tasks cost nothing).

    A value that is no finite number, or one the ledger cannot hold, raises ``ValueError``.
    """
    if value is None:
        return ZERO
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise TypeError(f"expected a number of USD, got {type(value).__name__}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise ValueError(f"expected a number of USD, got {value!r:.40}")
    if abs(amount) >= MAX_USD:
        raise ValueError(f"an amount of USD out of range: {value!r:.40}")
    return amount


def _int(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    if not 0 <= value <= MAX_COUNT:
        raise ValueError(f"expected a count from 0 to {MAX_COUNT}, got {str(value)[:40]}")
    return value


def _code(value: Any) -> int:
    """A status code is never optional: without one the answer cannot be classified."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer status code, got {value!r}")
    return value


def _str(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _dict(value: Any) -> dict:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return dict(value)


def _list(value: Any) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected an array, got {type(value).__name__}")
    return value


def _required(parse: Callable[[Any], T]) -> Callable[[Any], T]:
    """``parse``, but a missing (or null, or empty) value is a problem."""

    def parse_required(value: Any) -> T:
        if value is None or value == "":
            raise ValueError("missing")
        return parse(value)

    return parse_required


def _dt(value: Any) -> datetime | None:
    return parse_dt_string(_str(value) or None)


@dataclass(frozen=True, slots=True)
class CallInfo:
    """What one HTTP call cost and how it went; the cost headers belong in the ledger."""

    endpoint: str
    http_status: int
    price_usd: Decimal | None
    headers: Mapping[str, str]  # X-AISA-*, X-RateLimit-*, Retry-After (case-insensitive)
    elapsed: float  # seconds


@dataclass(frozen=True, slots=True)
class PostedTask:
    """The outcome of one task of a ``task_post`` batch."""

    tag: str
    id: str
    status_code: int | None
    status_message: str
    cost: Decimal
    outcome: Outcome
    data: dict
    invalid_field: str = ""  # the field a 40501 names

    @property
    def created(self) -> bool:
        return self.outcome is Outcome.SUCCESS

    @classmethod
    def from_json(cls, task: Any, tag: str) -> PostedTask:
        task = _dict(task)
        code = _code(task.get("status_code"))
        message = _str(task.get("status_message"))
        match = _INVALID_FIELD.search(message)
        return cls(
            tag=tag,
            id=_str(task.get("id")),
            status_code=code,
            status_message=message,
            cost=money(task.get("cost")),
            outcome=outcome_for_code(code),
            data=_dict(task.get("data")),
            invalid_field=match.group(1) if match else "",
        )

    @classmethod
    def missing(cls, tag: str) -> PostedTask:
        """A sent task the answer does not mention: it may or may not exist."""
        return cls(
            tag=tag,
            id="",
            status_code=None,
            status_message="The response did not mention this task; look its tag up with id_list.",
            cost=ZERO,
            outcome=Outcome.UNKNOWN,
            data={},
        )


@dataclass(frozen=True, slots=True)
class PostBatch:
    """The answer to one ``task_post`` call: per-task outcomes in request order."""

    tasks: tuple[PostedTask, ...]
    status_code: int
    status_message: str
    cost: Decimal  # the envelope's cost, USD
    call: CallInfo

    @property
    def created(self) -> list[PostedTask]:
        return [t for t in self.tasks if t.created]

    @property
    def failed(self) -> list[PostedTask]:
        return [t for t in self.tasks if not t.created]

    @classmethod
    def from_json(cls, sent: list, envelope: dict, call: CallInfo) -> PostBatch:
        received = _in_request_order(sent, _list(envelope.get("tasks")))
        tasks = tuple(
            PostedTask.from_json(raw, _tag(task))
            if raw is not None
            else PostedTask.missing(_tag(task))
            for task, raw in zip(sent, received, strict=True)
        )
        return cls(
            tasks=tasks,
            status_code=_code(envelope.get("status_code")),
            status_message=_str(envelope.get("status_message")),
            cost=money(envelope.get("cost")),
            call=call,
        )


def _tag(task: Any) -> str:
    tag = task.get("tag") if isinstance(task, Mapping) else None
    return tag if isinstance(tag, str) else ""


def _in_request_order(sent: list, received: list) -> list:
    """Answers aligned with the sent tasks; None where an answer is missing.

    The API answers in request order; should the counts or the echoed tags disagree,
    match by tag, so that no outcome is pinned on the wrong task.
    """
    tags = [_tag(_dict(r).get("data")) for r in received]
    if len(received) == len(sent) and all(
        not got or got == _tag(want) for got, want in zip(tags, sent, strict=True)
    ):
        return received
    by_tag: defaultdict[str, deque] = defaultdict(deque)
    for tag, raw in zip(tags, received, strict=True):
        by_tag[tag].append(raw)
    return [by_tag[_tag(task)].popleft() if by_tag[_tag(task)] else None for task in sent]


@dataclass(frozen=True, slots=True)
class Annotation:
    """A cited source: ``url`` is the source itself (see ``_annotation``)."""

    title: str
    url: str
    #: The link the answer gave when it was a redirect to the source (Gemini), else "".
    redirect_url: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    type: str
    text: str
    annotations: tuple[Annotation, ...]


@dataclass(frozen=True, slots=True)
class Item:
    type: str  # "message" or "reasoning"
    sections: tuple[Section, ...]


def _annotation(raw: Any) -> Annotation:
    """Gemini links each source through a Vertex AI redirect in ``url`` and gives the source
    in ``direct_url`` (official client 2.1.10): the source is what a citation counts, so its
    domain is the site's, not Google's. Other families have no ``direct_url``."""
    raw = _dict(raw)
    title, url = _field(raw, "title", _str), _field(raw, "url", _str)
    direct = raw.get("direct_url")
    if isinstance(direct, str) and direct.strip():
        return Annotation(title=title, url=direct.strip(), redirect_url=url)
    return Annotation(title=title, url=url)


def _section(raw: Any) -> Section:
    raw = _dict(raw)
    return Section(
        type=_field(raw, "type", _str),
        text=_field(raw, "text", _str),
        annotations=_field(raw, "annotations", lambda v: _each(v, _annotation)),
    )


def _item(raw: Any) -> Item:
    raw = _dict(raw)
    sections = _field(raw, "sections", lambda v: _each(v, _section))
    return Item(type=_field(raw, "type", _str), sections=sections)


@dataclass(frozen=True, slots=True)
class Answer:
    """The model's answer to one task (``tasks[].result[0]``)."""

    model_name: str
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    web_search: bool
    money_spent: Decimal
    datetime: datetime | None
    items: tuple[Item, ...]
    fan_out_queries: list[str]
    raw: dict = field(repr=False)

    def _message_sections(self):
        for item in self.items:
            if item.type == "message":
                yield from (s for s in item.sections if s.type == "text")

    @property
    def text(self) -> str:
        """The answer text: the message text sections, concatenated."""
        return "".join(s.text for s in self._message_sections())

    @property
    def citations(self) -> list[Annotation]:
        """Cited sources of the message, in order, each URL once."""
        seen: dict[str, Annotation] = {}
        for section in self._message_sections():
            for annotation in section.annotations:
                seen.setdefault(annotation.url, annotation)
        return list(seen.values())

    @classmethod
    def from_json(cls, raw: Any) -> Answer:
        """A result item; a missing or ill-typed field raises ``ShapeError`` naming it.

        ``model_name`` and ``items`` are required: without them there is no answer to
        count (an empty one would still count as an observation on the dashboard).
        """
        raw = _dict(raw)
        return cls(
            model_name=_field(raw, "model_name", _required(_str)),
            input_tokens=_field(raw, "input_tokens", _int),
            output_tokens=_field(raw, "output_tokens", _int),
            reasoning_tokens=_field(raw, "reasoning_tokens", _int),
            web_search=bool(raw.get("web_search")),
            money_spent=_field(raw, "money_spent", money),
            datetime=_field(raw, "datetime", _dt),
            items=_field(raw, "items", _required(lambda v: _each(v, _item))),
            fan_out_queries=list(_field(raw, "fan_out_queries", lambda v: _each(v, _str))),
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class TaskResult:
    """One task as ``task_get`` or ``live`` reports it; ``answer`` is set once it is done."""

    id: str
    status_code: int
    status_message: str
    outcome: Outcome
    cost: Decimal
    tag: str
    data: dict
    answer: Answer | None
    call: CallInfo
    #: Why a done task's result could not be read (e.g. "result[0].items: expected an
    #: array, got str"); then ``answer`` is None. Empty when it was read, or not done.
    problem: str = ""

    @property
    def ready(self) -> bool:
        return self.outcome is Outcome.SUCCESS and self.answer is not None

    @classmethod
    def from_json(cls, task: Any, call: CallInfo) -> TaskResult:
        task = _dict(task)
        code = _code(task.get("status_code"))
        outcome = outcome_for_code(code)
        data = _dict(task.get("data"))
        answer, problem = None, ""
        if outcome is Outcome.SUCCESS:
            try:
                answer = _field(task, "result", _first_answer)
            except ShapeError as exc:
                problem = str(exc)
        return cls(
            id=_str(task.get("id")),
            status_code=code,
            status_message=_str(task.get("status_message")),
            outcome=outcome,
            cost=money(task.get("cost")),
            tag=_str(data.get("tag")),
            data=data,
            answer=answer,
            call=call,
            problem=problem,
        )


def _first_answer(value: Any) -> Answer:
    """A done task's answer: the first item of its ``result`` array."""
    results = _list(value)
    if not results:
        raise ValueError("missing" if value is None else "empty")
    return _each(results[:1], Answer.from_json)[0]


@dataclass(frozen=True, slots=True)
class ReadyTask:
    """A completed task not collected yet (``tasks_ready``)."""

    id: str
    se: str
    se_type: str
    date_posted: datetime | None
    tag: str
    endpoint: str

    @classmethod
    def from_json(cls, raw: Any) -> ReadyTask:
        raw = _dict(raw)
        return cls(
            id=_str(raw.get("id")),
            se=_str(raw.get("se")),
            se_type=_str(raw.get("se_type")),
            date_posted=_dt(raw.get("date_posted")),
            tag=_str(raw.get("tag")),
            endpoint=_str(raw.get("endpoint")),
        )


@dataclass(frozen=True, slots=True)
class IdListItem:
    """A task created in a time window (``id_list``), with its original POST parameters."""

    id: str
    url: str
    datetime_posted: datetime | None
    datetime_done: datetime | None
    status: str
    cost: Decimal
    metadata: dict
    tag: str

    @classmethod
    def from_json(cls, raw: Any) -> IdListItem:
        raw = _dict(raw)
        metadata = _dict(raw.get("metadata"))
        return cls(
            id=_str(raw.get("id")),
            url=_str(raw.get("url")),
            datetime_posted=_dt(raw.get("datetime_posted")),
            datetime_done=_dt(raw.get("datetime_done")),
            status=_str(raw.get("status")),
            cost=money(raw.get("cost")),
            metadata=metadata,
            tag=_str(metadata.get("tag")),
        )


def model_info(raw: Any) -> ModelInfo:
    """One item of the ``models`` endpoint."""
    raw = _dict(raw)
    return ModelInfo(
        model_name=_str(raw["model_name"]),
        web_search_supported=bool(raw.get("web_search_supported")),
        task_post_supported=bool(raw.get("task_post_supported", True)),
        reasoning=bool(raw.get("reasoning")),
    )
