"""Analysing answers: mentions of tracked brands, rank, own/competitor citations, untracked names.

Runs when an answer is collected, and again over a workspace's whole history when its
brands, aliases or domains change (results are replaced, never patched).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from monitoring.analysis import (
    BrandTerms,
    candidate_names,
    domain_matches,
    find_mentions,
    first_positions,
    is_informative,
    rank_brands,
)
from monitoring.models import Answer, Brand, Citation, Mention, Workspace

REANALYZE_CHUNK = 500


@dataclass(frozen=True)
class BrandSet:
    """A workspace's tracked brands, loaded once for many answers."""

    terms: tuple[BrandTerms, ...]
    domains: dict[int, tuple[str, ...]]

    @property
    def known_terms(self) -> list[str]:
        return [term for brand in self.terms for term in brand.terms()]


def brand_set_load(*, workspace: Workspace) -> BrandSet:
    brands = Brand.objects.filter(workspace=workspace).prefetch_related("aliases", "domains")
    return BrandSet(
        terms=tuple(
            BrandTerms(b.pk, b.name, tuple(a.name for a in b.aliases.all())) for b in brands
        ),
        domains={b.pk: tuple(d.domain for d in b.domains.all()) for b in brands},
    )


def answer_analyze(*, answer: Answer, brands: BrandSet | None = None) -> list[Mention]:
    """Replace the analysis of one answer."""
    brands = brands or brand_set_load(workspace=answer.workspace)
    citations = list(answer.citations.all())
    matches = find_mentions(answer.text, brands.terms, citation_titles=[c.title for c in citations])
    untracked = candidate_names(answer.text, brands.known_terms)
    with transaction.atomic():
        Mention.objects.filter(answer=answer).delete()
        mentions = Mention.objects.bulk_create(_mentions(answer, matches))
        _citations_attribute(citations, brands)
        answer.is_informative = is_informative(answer.text, matches, untracked)
        answer.untracked_names = untracked
        answer.analyzed_at = timezone.now()
        answer.save(update_fields=["is_informative", "untracked_names", "analyzed_at"])
    return mentions


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


def _citations_attribute(citations: list[Citation], brands: BrandSet) -> None:
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
    Citation.objects.bulk_update(changed, ["brand"])


def workspace_reanalyze(*, workspace: Workspace) -> int:
    """Recompute every answer of a workspace (after its brands changed); returns the count."""
    brands = brand_set_load(workspace=workspace)
    answers = Answer.objects.filter(workspace=workspace).prefetch_related("citations")
    done = 0
    for answer in answers.order_by("id").iterator(chunk_size=REANALYZE_CHUNK):
        answer_analyze(answer=answer, brands=brands)
        done += 1
    return done
