"""The dashboard's tables: cited domains, fan-out queries, untracked names and prompts."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet

from monitoring.models import Brand, Mention, Workspace
from monitoring.selectors.dashboard.rates import Rate
from monitoring.selectors.dashboard.scope import answer_scope, citation_scope, mention_scope
from monitoring.selectors.filters import Filters

TOP_DOMAINS = 15
TOP_FAN_OUT = 15
UNTRACKED_MIN_ANSWERS = 2
TOP_UNTRACKED = 15


def domain_top(
    *, workspace: Workspace, filters: Filters, n: int, total_citations: int
) -> list[dict]:
    """Most cited domains with citation share and domain coverage (one query)."""
    rows = (
        citation_scope(workspace=workspace, filters=filters)
        .values("domain")
        .annotate(citations=Count("id"), answers=Count("answer", distinct=True), brand=Max("brand"))
        .order_by("-citations", "domain")[:TOP_DOMAINS]
    )
    return [
        row
        | {"share": Rate(row["citations"], total_citations), "coverage": Rate(row["answers"], n)}
        for row in rows
    ]


def _json_list_counts(scope: QuerySet, column: str, *, min_answers: int, limit: int) -> list[tuple]:
    """(value, occurrences, answers) of the items of a JSON list column, counted in SQL.

    The ORM has no "unnest a JSON array", so this one query is written per database.
    """
    # The filtered answers are a derived table (not ``id IN (subquery)``), so the database
    # reads them once through the (workspace, answered_at) index.
    inner, params = scope.values("id", column).query.sql_with_params()
    col = connection.ops.quote_name(column)
    if connection.vendor == "postgresql":
        # jsonb_array_elements_text raises on a non-array; such a value has no items.
        items = f"CASE WHEN jsonb_typeof(a.{col}) = 'array' THEN a.{col} ELSE '[]'::jsonb END"
        source = f"({inner}) a CROSS JOIN LATERAL jsonb_array_elements_text({items}) AS e(value)"
    else:
        items = f"CASE WHEN json_type(a.{col}) = 'array' THEN a.{col} ELSE '[]' END"
        source = f"({inner}) a, json_each({items}) e"
    # Only quoted identifiers and the ORM's own compiled subquery are interpolated.
    sql = (
        f"SELECT e.value, COUNT(*), COUNT(DISTINCT a.id) FROM {source} "  # noqa: S608
        f"GROUP BY e.value HAVING COUNT(DISTINCT a.id) >= %s "
        f"ORDER BY 3 DESC, 2 DESC, 1 LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, min_answers, limit])
        return cursor.fetchall()


def fan_out_top(*, workspace: Workspace, filters: Filters) -> list[dict]:
    scope = answer_scope(workspace=workspace, filters=filters)
    rows = _json_list_counts(scope, "fan_out_queries", min_answers=1, limit=TOP_FAN_OUT)
    return [{"query": q, "count": c, "answers": a} for q, c, a in rows]


def untracked_list(*, workspace: Workspace, filters: Filters, brands: list[Brand]) -> list[dict]:
    """Names nobody tracks that recur in at least two answers: candidate competitors."""
    scope = answer_scope(workspace=workspace, filters=filters)
    tracked = {b.name.lower() for b in brands}
    rows = _json_list_counts(
        scope,
        "untracked_names",
        min_answers=UNTRACKED_MIN_ANSWERS,
        limit=TOP_UNTRACKED + len(tracked),
    )
    return [
        {"name": name, "answers": answers}
        for name, _, answers in rows
        if str(name).lower() not in tracked
    ][:TOP_UNTRACKED]


def prompt_table_get(
    *, workspace: Workspace, filters: Filters, own: Brand | None, brands: list[Brand]
) -> list[dict]:
    """Per prompt: own visibility (k/n, interval), weak answers, and who wins it instead."""
    scope = answer_scope(workspace=workspace, filters=filters)
    own_id = own.pk if own else 0
    own_hit = Exists(Mention.objects.filter(answer=OuterRef("pk"), brand_id=own_id))
    rows = list(
        scope.values("prompt", "prompt__text")
        .annotate(
            n=Count("id"),
            k=Count("id", filter=own_hit),
            weak=Count("id", filter=Q(is_informative=False)),
        )
        .order_by()
    )
    winners: dict[int, tuple[int, int]] = {}
    own_named = Exists(Mention.objects.filter(answer=OuterRef("answer"), brand_id=own_id))
    for row in (
        mention_scope(workspace=workspace, filters=filters)
        .filter(~own_named, rank=1)
        # brand first: grouping by prompt first lures SQLite onto the (workspace, prompt)
        # index, reading every answer of the workspace instead of the period's.
        .values("brand", "answer__prompt")
        .annotate(c=Count("id"))
        .order_by("answer__prompt", "-c", "brand")
    ):
        winners.setdefault(row["answer__prompt"], (row["brand"], row["c"]))
    by_id = {b.pk: b for b in brands}
    table = []
    for row in rows:
        winner = winners.get(row["prompt"])
        table.append(
            {
                "id": row["prompt"],
                "text": row["prompt__text"],
                "visibility": Rate(row["k"], row["n"]),
                "weak": row["weak"],
                "is_weak": row["weak"] * 2 > row["n"],
                "winner": by_id.get(winner[0]) if winner else None,
                "winner_count": winner[1] if winner else 0,
            }
        )
    table.sort(key=lambda r: (r["visibility"].value, -r["visibility"].n, r["text"]))
    return table
