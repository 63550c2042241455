"""The dashboard's tables: cited domains, fan-out queries, untracked names and prompts."""

from __future__ import annotations

from urllib.parse import urlencode

from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery

from monitoring.models import Brand, Mention, Prompt, PromptVersion, Workspace
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
    """Per prompt and wording asked: own visibility (k/n, interval), weak answers, and who
    wins it instead (two queries).

    A prompt reworded after it was sent has a row per version, so no rate mixes answers to
    two questions: its rows stay together, the newest wording first (ordered by it, worst
    visibility first), then the earlier ones with the date each was replaced.
    """
    scope = answer_scope(workspace=workspace, filters=filters)
    own_id = own.pk if own else 0
    own_hit = Exists(Mention.objects.filter(answer=OuterRef("pk"), brand_id=own_id))
    # Grouped by the ids alone (read from the covering index); each group's texts come from
    # a primary-key lookup per group, not a join per answer.
    prompt = Prompt.objects.filter(pk=OuterRef("prompt")).order_by()
    version = PromptVersion.objects.filter(pk=OuterRef("prompt_version")).order_by()
    rows = list(
        scope.values("prompt", "prompt_version")
        .annotate(
            n=Count("id"),
            k=Count("id", filter=own_hit),
            weak=Count("id", filter=Q(is_informative=False)),
        )
        .annotate(
            prompt_text=Subquery(prompt.values("text")),
            number=Subquery(version.values("number")),
            version_text=Subquery(version.values("text")),
            since=Subquery(version.values("created_at")),
            replaced_at=Subquery(version.values("replaced_at")),
        )
        .order_by()
    )
    winners: dict[tuple[int, int | None], tuple[int, int]] = {}
    own_named = Exists(Mention.objects.filter(answer=OuterRef("answer"), brand_id=own_id))
    for row in (
        mention_scope(workspace=workspace, filters=filters)
        .filter(~own_named, rank=1)
        # brand first: grouping by prompt first lures SQLite onto the (workspace, prompt)
        # index, reading every answer of the workspace instead of the period's.
        .values("brand", "answer__prompt", "answer__prompt_version")
        .annotate(c=Count("id"))
        .order_by("answer__prompt", "answer__prompt_version", "-c", "brand")
    ):
        key = (row["answer__prompt"], row["answer__prompt_version"])
        winners.setdefault(key, (row["brand"], row["c"]))
    by_id = {b.pk: b for b in brands}
    groups: dict[int, list[dict]] = {}
    for row in rows:
        version = row["prompt_version"]
        winner = winners.get((row["prompt"], version))
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
                "visibility": Rate(row["k"], row["n"]),
                "weak": row["weak"],
                "is_weak": row["weak"] * 2 > row["n"],
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
