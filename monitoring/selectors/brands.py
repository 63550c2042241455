"""Reads for the brands page."""

from __future__ import annotations

from django.db.models import QuerySet

from monitoring.models import Brand, BrandKind, Workspace


def brand_queryset() -> QuerySet[Brand]:
    return Brand.objects.prefetch_related("aliases", "domains")


def brand_groups(*, workspace: Workspace) -> dict[str, list[Brand]]:
    """The workspace's brands split into its own and its competitors, by name."""
    groups: dict[str, list[Brand]] = {BrandKind.OWN: [], BrandKind.COMPETITOR: []}
    for brand in brand_queryset().filter(workspace=workspace):
        groups[brand.kind].append(brand)
    return {"own": groups[BrandKind.OWN], "competitors": groups[BrandKind.COMPETITOR]}
