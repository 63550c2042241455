"""The dashboard's tables: cited domains, fan-out queries, untracked names and prompts."""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Max, OuterRef, Subquery, Sum

from monitoring.models import (
    AnswerSummary,
    Brand,
    BrandSummary,
    DomainSummary,
    PairSummary,
    Prompt,
    PromptVersion,
    TermKind,
    TermSummary,
    Workspace,
)
from monitoring.selectors.dashboard.blocks import Blocks, blocks_get
from monitoring.selectors.dashboard.rates import Rate
from monitoring.selectors.filters import Filters
from monitoring.selectors.summaries import summary_rows

TOP_DOMAINS = 15
TOP_FAN_OUT = 15
UNTRACKED_MIN_ANSWERS = 2
TOP_UNTRACKED = 15


def domain_top(
    *,
    workspace: Workspace,
    filters: Filters,
    n: int,
    total_citations: int,
    blocks: Blocks | None = None,
) -> list[dict]:
    """Most cited domains with citation share and domain coverage (one query)."""
    rows = (
        summary_rows(DomainSummary, **_scoped(workspace, filters, blocks))
        .values("domain")
        .annotate(citations=Sum("citations"), answers=Sum("answers"), brand=Max("brand"))
        .order_by("-citations", "domain")[:TOP_DOMAINS]
    )
    return [
        row
        | {"share": Rate(row["citations"], total_citations), "coverage": Rate(row["answers"], n)}
        for row in rows
    ]


def _scoped(workspace: Workspace, filters: Filters, blocks: Blocks | None) -> dict:
    """The period's longest blocks under the filters (``summary_rows``' arguments)."""
    return {
        "workspace": workspace,
        "filters": filters,
        "blocks": (blocks or blocks_get(filters)).now,
    }


def _term_counts(
    workspace: Workspace,
    filters: Filters,
    blocks: Blocks | None,
    kind: str,
    *,
    min_answers: int,
    limit: int,
) -> list[tuple]:
    """(value, occurrences, answers) of the fan-out queries or untracked names in at least
    ``min_answers`` answers, most answers first (one query)."""
    rows = (
        summary_rows(TermSummary, **_scoped(workspace, filters, blocks))
        .filter(kind=kind)
        .values("value")
        .annotate(occurrences=Sum("occurrences"), answers=Sum("answers"))
        .filter(answers__gte=min_answers)
        .order_by("-answers", "-occurrences", "value")
        .values_list("value", "occurrences", "answers")[:limit]
    )
    return list(rows)


def fan_out_top(
    *, workspace: Workspace, filters: Filters, blocks: Blocks | None = None
) -> list[dict]:
    rows = _term_counts(
        workspace, filters, blocks, TermKind.FAN_OUT, min_answers=1, limit=TOP_FAN_OUT
    )
    return [{"query": q, "count": c, "answers": a} for q, c, a in rows]


def untracked_list(
    *, workspace: Workspace, filters: Filters, brands: list[Brand], blocks: Blocks | None = None
) -> list[dict]:
    """Names nobody tracks that recur in at least two answers: candidate competitors."""
    tracked = {b.name.lower() for b in brands}
    rows = _term_counts(
        workspace,
        filters,
        blocks,
        TermKind.UNTRACKED,
        min_answers=UNTRACKED_MIN_ANSWERS,
        limit=TOP_UNTRACKED + len(tracked),
    )
    return [
        {"name": name, "answers": answers}
        for name, _, answers in rows
        if str(name).lower() not in tracked
    ][:TOP_UNTRACKED]


def prompt_table_get(
    *,
    workspace: Workspace,
    filters: Filters,
    own: Brand | None,
    brands: list[Brand],
    blocks: Blocks | None = None,
) -> list[dict]:
    """Per prompt and wording asked: own visibility (k/n, interval), weak answers, and who
    wins it instead (three queries).

    A prompt reworded after it was sent has a row per version, so no rate mixes answers to
    two questions: its rows stay together, the newest wording first (ordered by it, worst
    visibility first), then the earlier ones with the date each was replaced.
    """
    scoped = _scoped(workspace, filters, blocks) | {"by_prompt": True}
    own_id = own.pk if own else 0
    # Each group's texts come from a primary-key lookup per group, not a join per row.
    prompt = Prompt.objects.filter(pk=OuterRef("prompt")).order_by()
    version = PromptVersion.objects.filter(pk=OuterRef("prompt_version")).order_by()
    rows = list(
        summary_rows(AnswerSummary, **scoped)
        .values("prompt", "prompt_version")
        .annotate(n=Sum("answers"), informative=Sum("informative"))
        .annotate(
            prompt_text=Subquery(prompt.values("text")),
            number=Subquery(version.values("number")),
            version_text=Subquery(version.values("text")),
            since=Subquery(version.values("created_at")),
            replaced_at=Subquery(version.values("replaced_at")),
        )
        .order_by()
    )
    # Who leads the answers not naming the own brand: the answers it leads, less those
    # that also name the own brand (never the own brand itself, which is named where it
    # leads).
    own_k: dict[tuple, int] = {}
    leads: dict[tuple, dict[int, int]] = {}
    for row in (
        summary_rows(BrandSummary, **scoped)
        .values("prompt", "prompt_version", "brand")
        .annotate(named=Sum("named"), leading=Sum("leading"))
        .order_by()
    ):
        key = (row["prompt"], row["prompt_version"])
        if row["brand"] == own_id:
            own_k[key] = row["named"]
        elif row["leading"]:
            leads.setdefault(key, {})[row["brand"]] = row["leading"]
    for row in (
        summary_rows(PairSummary, **scoped)
        .filter(other_id=own_id)
        .values("prompt", "prompt_version", "leader")
        .annotate(answers=Sum("answers"))
        .order_by()
    ):
        key = (row["prompt"], row["prompt_version"])
        if row["leader"] in leads.get(key, {}):
            leads[key][row["leader"]] -= row["answers"]
    winners = {
        key: min(((-c, b) for b, c in counts.items() if c > 0), default=None)
        for key, counts in leads.items()
    }
    by_id = {b.pk: b for b in brands}
    groups: dict[int, list[dict]] = {}
    for row in rows:
        version = row["prompt_version"]
        best = winners.get((row["prompt"], version))
        winner = (best[1], -best[0]) if best else None
        groups.setdefault(row["prompt"], []).append(
            {
                "id": row["prompt"],
                # Answers stored without a version (made outside the pipeline) show under
                # the prompt's current wording.
                "version": version,
                "number": row["number"],
                "text": row["version_text"] if version else row["prompt_text"],
                "since": row["since"],
                "replaced_at": row["replaced_at"],
                "is_current": version is None or row["replaced_at"] is None,
                "query": urlencode(
                    {"prompt": row["prompt"], **({"version": version} if version else {})}
                ),
                "visibility": Rate(own_k.get((row["prompt"], version), 0), row["n"]),
                "weak": row["n"] - row["informative"],
                "is_weak": (row["n"] - row["informative"]) * 2 > row["n"],
                "winner": by_id.get(winner[0]) if winner else None,
                "winner_count": winner[1] if winner else 0,
                # Set below: the row sits under a newer wording of its prompt / has some.
                "is_earlier": False,
                "has_earlier": False,
            }
        )
    for group in groups.values():
        group.sort(key=lambda r: (not r["is_current"], -(r["number"] or 0)))
        for row in group[1:]:
            row["is_earlier"] = True
        group[0]["has_earlier"] = len(group) > 1
    ordered = sorted(groups.values(), key=lambda g: _prompt_order(g[0]))
    return [row for group in ordered for row in group]


def _prompt_order(row: dict) -> tuple:
    return (row["visibility"].value, -row["visibility"].n, row["text"])
