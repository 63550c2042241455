"""Analysing answers: mentions of tracked brands, rank, own/competitor citations, untracked names.

Runs when an answer is collected, and again over a workspace's whole history when its
brands, aliases or domains change (results are replaced, never patched).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Field, Model
from django.utils import timezone

from monitoring.analysis import (
    BrandTerms,
    candidate_names,
    domain_matches,
    find_mentions,
    first_positions,
    is_informative,
    prose_of,
    rank_brands,
)
from monitoring.models import Answer, Brand, Citation, Heartbeat, Mention, Workspace
from monitoring.services import bulk
from monitoring.services.summaries import days_mark


@dataclass(frozen=True)
class BrandSet:
    """A workspace's tracked brands, loaded once for many answers."""

    terms: tuple[BrandTerms, ...]
    domains: dict[int, tuple[str, ...]]

    @property
    def known_terms(self) -> list[str]:
        return [term for brand in self.terms for term in brand.terms()]


def brand_set_load(*, workspace: Workspace | None = None, workspace_id: int = 0) -> BrandSet:
    """The tracked brands of the workspace (or of ``workspace_id``, without its row)."""
    workspace_id = workspace.pk if workspace is not None else workspace_id
    brands = Brand.objects.filter(workspace_id=workspace_id).prefetch_related("aliases", "domains")
    return BrandSet(
        terms=tuple(
            BrandTerms(b.pk, b.name, tuple(a.name for a in b.aliases.all())) for b in brands
        ),
        domains={b.pk: tuple(d.domain for d in b.domains.all()) for b in brands},
    )


def answer_analyze(*, answer: Answer, brands: BrandSet | None = None) -> list[Mention]:
    """Replace the analysis of one answer; returns its mentions (as written, without ids)."""
    brands = brands or brand_set_load(workspace_id=answer.workspace_id)
    analysis = _analysis_compute(answer, brands)
    writes = _writes_prepare([analysis])
    with transaction.atomic():
        _writes_apply(writes)
    return analysis.mentions


def answers_analyze(
    *, answers: Sequence[Answer], citations: Mapping[int, list[Citation]] | None = None
) -> int:
    """Replace the analysis of many answers at once; returns how many were written.

    Each workspace's brands are loaded once; everything is computed before the one
    transaction that writes it all (``_writes_apply``: five statements however many
    answers). ``citations`` maps an answer's id to its citations when the caller has them
    (it has just stored them); otherwise they are read in one query. Unlike the re-analysis
    of a workspace, this takes whatever answers it is given: the caller keeps batches to a
    few hundred.
    """
    if not answers:
        return 0
    if citations is None:
        citations = _citations_of([a.pk for a in answers])
    brands = {ws: brand_set_load(workspace_id=ws) for ws in {a.workspace_id for a in answers}}
    analyses = [
        _analysis_compute(a, brands[a.workspace_id], citations.get(a.pk, [])) for a in answers
    ]
    writes = _writes_prepare(analyses)
    with transaction.atomic():
        _writes_apply(writes)
    return len(analyses)


def _citations_of(answer_ids: list[int]) -> dict[int, list[Citation]]:
    by_answer: dict[int, list[Citation]] = {}
    for citation in Citation.objects.filter(answer_id__in=answer_ids).order_by(
        "answer_id", "position"
    ):
        by_answer.setdefault(citation.answer_id, []).append(citation)
    return by_answer


@dataclass
class _Analysis:
    """One answer's analysis, computed outside any transaction."""

    answer: Answer
    mentions: list[Mention]
    citations: list[Citation]  # only those whose owner changed


def _analysis_compute(
    answer: Answer, brands: BrandSet, citations: list[Citation] | None = None
) -> _Analysis:
    """One answer's analysis; ``citations`` are its citations if the caller has them."""
    citations = list(answer.citations.all()) if citations is None else citations
    prose = prose_of(answer.text)  # shared: the matcher and the name finder both start there
    titles = [c.title for c in citations]
    matches = find_mentions(answer.text, brands.terms, citation_titles=titles, prose=prose)
    untracked = candidate_names(answer.text, brands.known_terms, prose=prose)
    answer.is_informative = is_informative(answer.text, matches, untracked)
    answer.untracked_names = untracked
    return _Analysis(answer, _mentions(answer, matches), _citations_attribute(citations, brands))


MENTION_FIELDS = ("answer", "brand", "workspace", "count", "first_offset", "rank", "spans")
ANSWER_FIELDS = ("is_informative", "untracked_names", "analyzed_at")


@dataclass(frozen=True)
class _Writes:
    """The statements' parameters, prepared before the transaction: the ORM's bulk_update
    and bulk_create spend most of their time building SQL in Python (about 2 ms an answer),
    which inside the transaction would hold the write lock that long."""

    answer_ids: list[int]
    mentions: list[tuple]
    citations: list[tuple]  # (id, brand_id)
    answers: list[tuple]  # id, then ANSWER_FIELDS
    days: list[tuple]  # (workspace id, answered at): their summaries go stale


def _writes_prepare(analyses: list[_Analysis]) -> _Writes:
    now = timezone.now()
    for a in analyses:
        a.answer.analyzed_at = now
    return _Writes(
        answer_ids=[a.answer.pk for a in analyses],
        mentions=[_params(m, MENTION_FIELDS) for a in analyses for m in a.mentions],
        citations=[(c.pk, *_params(c, ("brand",))) for a in analyses for c in a.citations],
        answers=[(a.answer.pk, *_params(a.answer, ANSWER_FIELDS)) for a in analyses],
        days=[(a.answer.workspace_id, a.answer.answered_at) for a in analyses],
    )


def _writes_apply(writes: _Writes) -> None:
    """Replace the stored analysis of these answers: five statements however many there are
    (up to ``bulk.BULK_BATCH`` rows each)."""
    Mention.objects.filter(answer_id__in=writes.answer_ids).delete()
    bulk.rows_insert(Mention, _fields(Mention, MENTION_FIELDS), writes.mentions)
    bulk.rows_update(Citation, _fields(Citation, ("brand",)), writes.citations)
    bulk.rows_update(Answer, _fields(Answer, ANSWER_FIELDS), writes.answers)
    days_mark(writes.days)


def _params(obj: Model, fields: tuple[str, ...]) -> tuple:
    """The values of these fields as the database driver takes them (JSON, dates...)."""
    return tuple(
        value if type(value) is int and integer else f.get_db_prep_save(value, connection)
        for f, integer in _columns(type(obj), fields)
        for value in (getattr(obj, f.attname),)
    )


#: Columns whose Python ints the driver takes as they are.
_INTEGER_TYPES = frozenset(
    ("AutoField", "BigAutoField", "BigIntegerField", "IntegerField", "PositiveIntegerField")
    + ("PositiveSmallIntegerField", "SmallIntegerField")
)


@functools.cache
def _columns(model: type[Model], names: tuple[str, ...]) -> tuple[tuple[Field, bool], ...]:
    """The fields and whether each is an integer column (a relation: its target's). An
    int needs no ``get_db_prep_save``, which goes through the field machinery and took
    a fifth of a batch's time for the ids and counts of its mentions."""
    return tuple(
        (f, getattr(f, "target_field", f).get_internal_type() in _INTEGER_TYPES)
        for f in bulk.plain_columns(model, names)
    )


def _fields(model: type[Model], names: tuple[str, ...]) -> list[Field]:
    """The model's fields of these names: each a column (a relation is its ``_id``)."""
    return [f for f, _ in _columns(model, names)]


def _mentions(answer: Answer, matches) -> list[Mention]:
    firsts, ranks = first_positions(matches), rank_brands(matches)
    spans: dict[int, list] = {}
    for m in matches:
        spans.setdefault(m.brand_id, []).append([m.start, m.end, m.term])
    return [
        Mention(
            answer=answer,
            brand_id=brand_id,
            workspace_id=answer.workspace_id,
            count=len(brand_spans),
            first_offset=firsts[brand_id],
            rank=ranks[brand_id],
            spans=brand_spans,
        )
        for brand_id, brand_spans in spans.items()
    ]


def _citations_attribute(citations: list[Citation], brands: BrandSet) -> list[Citation]:
    """Set each citation's owning brand; returns the citations that changed (to be saved)."""
    changed = []
    for citation in citations:
        owner = next(
            (
                pk
                for pk, domains in brands.domains.items()
                if domain_matches(citation.domain, domains)
            ),
            None,
        )
        if citation.brand_id != owner:
            citation.brand_id = owner
            changed.append(citation)
    return changed


# --- Re-analysis of a workspace's history ------------------------------------------------
# Brand changes (services.jobs.reanalyze_enqueue, in the change's own transaction) move the
# workspace's "wanted" marker forward, strictly, in commit order. A run reads it *before*
# loading the brands, so the brands it loads include every change up to that value; when it
# has written every answer it records the value as "done". A queued run that finds
# done >= wanted has nothing to do (coalescing: five quick edits need one full pass, not
# five). A run that sees the marker move while it works stops: its brands are stale, and the
# change that moved the marker queued a run of its own.

REANALYSIS_WANTED = "reanalysis-wanted:{}"
REANALYSIS_DONE = "reanalysis-done:{}"
#: Answers per write transaction. Each chunk is read whole (no cursor stays open across
#: writes: on SQLite an open read pins a stale snapshot, and the next write then fails at
#: once with "database is locked"), analysed and prepared in Python, then written in four
#: statements (a few milliseconds of holding the write lock).
REANALYZE_CHUNK = 200
#: The "done" marker of a workspace never re-analysed.
NEVER = datetime(2000, 1, 1, tzinfo=UTC)


def reanalysis_request(*, workspace_id: int) -> None:
    """Move the workspace's "wanted" marker forward; call inside the change's transaction."""
    name = REANALYSIS_WANTED.format(workspace_id)
    now = timezone.now()
    with transaction.atomic():
        marker, created = Heartbeat.objects.select_for_update().get_or_create(
            name=name, defaults={"seen_at": now}
        )
        if not created:  # strictly increasing, even if this host's clock is behind
            marker.seen_at = max(now, marker.seen_at + timedelta(microseconds=1))
            marker.save(update_fields=["seen_at"])


def _marker(name: str) -> datetime | None:
    return Heartbeat.objects.filter(name=name).values_list("seen_at", flat=True).first()


def workspace_reanalyze(*, workspace: Workspace, chunk_size: int = REANALYZE_CHUNK) -> int:
    """Recompute a workspace's answers after its brands changed; returns how many.

    Works in chunks of ``chunk_size`` answers, each written in its own short transaction.
    Does nothing (besides answers never analysed) when a run that started after the latest
    brand change has finished, and stops early when the brands change under it (that
    change queued a newer run); see the markers above.
    """
    wanted = _marker(REANALYSIS_WANTED.format(workspace.pk))  # before the brands: see above
    done_name = REANALYSIS_DONE.format(workspace.pk)
    done = Heartbeat.objects.get_or_create(name=done_name, defaults={"seen_at": NEVER})[0]
    brands = brand_set_load(workspace=workspace)
    answers = Answer.objects.filter(workspace=workspace)
    if wanted is not None and done.seen_at >= wanted:
        answers = answers.filter(analyzed_at__isnull=True)  # up to date: only new failures
    count, last_id = 0, 0
    while ids := list(
        answers.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:chunk_size]
    ):
        written = _chunk_reanalyze(ids=ids, brands=brands, workspace=workspace, wanted=wanted)
        if written is None:
            return count  # superseded
        count, last_id = count + written, ids[-1]
    if wanted is not None:
        with transaction.atomic():
            done = Heartbeat.objects.select_for_update().get(name=done_name)
            if done.seen_at < wanted:
                done.seen_at = wanted
                done.save(update_fields=["seen_at"])
    return count


def _chunk_reanalyze(
    *, ids: list[int], brands: BrandSet, workspace: Workspace, wanted: datetime | None
) -> int | None:
    """Analyse these answers and write them in one transaction; None if superseded."""
    wanted_name = REANALYSIS_WANTED.format(workspace.pk)
    for attempt in (1, 2):
        chunk = Answer.objects.filter(pk__in=ids).order_by("pk").prefetch_related("citations")
        analyses = [_analysis_compute(answer, brands) for answer in chunk]  # no lock held
        writes = _writes_prepare(analyses)
        try:
            with transaction.atomic():
                # One writer per workspace at a time (PostgreSQL; SQLite has one anyway). Brand
                # changes never lock this row, so it cannot deadlock with them.
                Heartbeat.objects.select_for_update().filter(
                    name=REANALYSIS_DONE.format(workspace.pk)
                ).values_list("pk").first()
                if _marker(wanted_name) != wanted:
                    return None
                _writes_apply(writes)
            return len(analyses)
        except IntegrityError:
            # PostgreSQL only, where a change commits between the check and this commit:
            # a brand deleted (then the marker moved: superseded) or this answer analysed
            # at once by the pipeline (the same rows twice: read the chunk again, once).
            if _marker(wanted_name) != wanted:
                return None
            if attempt == 2:
                raise
    return None  # unreachable
