"""The dashboard's filter values, shared by every region, the answer list and exports.

Forms (``monitoring.forms.filters``) parse a query string into these; selectors read them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from django.db.models import Q
from django.utils import timezone

from monitoring.models import Prompt

DEFAULT_DAYS = 28
MAX_DAYS = 3660


@dataclass(frozen=True)
class Filters:
    """Clean filter values; ``start``/``end`` are inclusive UTC dates."""

    start: date
    end: date
    tag: int | None = None
    prompt: int | None = None
    monitor: int | None = None
    model: str = ""
    #: An engine (``Answer.engine``: claude, chat_gpt, …); empty means every engine.
    engine: str = ""
    web: str = ""
    own: int | None = None
    # Drill-down only (the answer list and the answers export).
    #: A prompt version: the answers asked in that wording (a row of the prompt table).
    version: int | None = None
    brand: int | None = None
    mentioned: bool | None = None
    domain: str = ""
    #: Words the answer's text must contain (``analysis.search.search_terms``).
    q: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The period of equal length just before this one."""
        return replace(
            self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1)
        )

    def params(self, **overrides) -> dict[str, str]:
        """Query parameters reproducing these filters (drill-down links add their own)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)} | overrides
        out = {}
        for key, value in values.items():
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                value = "1" if value else "0"
            out[key] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def query(self, **overrides) -> str:
        return urlencode(self.params(**overrides))


def columns_q(filters: Filters, *, prefix: str = "", prompts: bool = True) -> Q:
    """The filters on the columns an answer, and a summary row, share (prompt's tag,
    prompt, wording, monitor, model, engine, web search), reached through ``prefix``;
    without the prompt ones when ``prompts`` is false."""
    tagged = None
    if prompts and filters.tag:
        # A subquery, not a join: the summaries' (workspace, prompt, …) index then reads the
        # tag's prompts' rows alone.
        tagged = Prompt.tags.through.objects.filter(tag_id=filters.tag).values("prompt_id")
    values = {
        "prompt_id__in": tagged,
        "prompt_id": filters.prompt if prompts else None,
        "prompt_version_id": filters.version if prompts else None,
        "monitor_id": filters.monitor,
        "model_name": filters.model,
        "engine": filters.engine,
        "web_search": (filters.web == "on") if filters.web else None,
    }
    return Q(**{f"{prefix}{name}": v for name, v in values.items() if v not in (None, "")})


def default_range(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.now().date()
    return today - timedelta(days=DEFAULT_DAYS - 1), today
