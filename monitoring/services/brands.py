"""Writes of brands with their aliases and domains."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from monitoring.models import Brand, BrandAlias, BrandDomain, Workspace
from monitoring.services.jobs import reanalyze_enqueue


def brand_create(
    *, workspace: Workspace, name: str, kind: str, aliases: list[str], domains: list[str]
) -> Brand:
    with transaction.atomic():
        brand = Brand.objects.create(workspace=workspace, name=name, kind=kind)
        BrandAlias.objects.bulk_create(BrandAlias(brand=brand, name=a) for a in aliases)
        BrandDomain.objects.bulk_create(BrandDomain(brand=brand, domain=d) for d in domains)
        reanalyze_enqueue(workspace_id=workspace.pk)
    return brand


def brand_update(
    *, brand: Brand, name: str, kind: str, aliases: list[str], domains: list[str]
) -> Brand:
    with transaction.atomic():
        brand.name, brand.kind = name, kind
        brand.save(update_fields=["name", "kind", "updated_at"])
        _aliases_sync(brand=brand, names=aliases)
        _domains_sync(brand=brand, domains=domains)
        reanalyze_enqueue(workspace_id=brand.workspace_id)
    # Drop prefetched aliases/domains so the row renders what was saved.
    brand._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    return brand


def _aliases_sync(*, brand: Brand, names: list[str]) -> None:
    """Keep the aliases whose spelling is unchanged (same rows), replace the rest."""
    current = {a.name: a.pk for a in brand.aliases.all()}
    BrandAlias.objects.filter(pk__in=[pk for n, pk in current.items() if n not in names]).delete()
    BrandAlias.objects.bulk_create(
        BrandAlias(brand=brand, name=n) for n in names if n not in current
    )


def _domains_sync(*, brand: Brand, domains: list[str]) -> None:
    brand.domains.exclude(domain__in=domains).delete()
    current = set(brand.domains.values_list("domain", flat=True))
    BrandDomain.objects.bulk_create(
        BrandDomain(brand=brand, domain=d) for d in domains if d not in current
    )


def brand_delete(*, brand: Brand) -> None:
    """Remove a brand with its aliases and domains; answers belong to tasks and stay."""
    with transaction.atomic():
        workspace_id = brand.workspace_id
        brand.delete()
        reanalyze_enqueue(workspace_id=workspace_id)


def brands_delete(*, brands: QuerySet[Brand]) -> int:
    """Remove several brands at once (the admin's bulk delete); each workspace re-analysed once."""
    with transaction.atomic():
        workspace_ids = sorted(set(brands.values_list("workspace_id", flat=True)))
        _, deleted = brands.delete()
        for workspace_id in workspace_ids:
            reanalyze_enqueue(workspace_id=workspace_id)
    return deleted.get(Brand._meta.label, 0)


def brand_admin_saved(*, brand: Brand) -> None:
    """The admin saved a brand with its aliases and domains: re-analyse as the page does.

    Called inside the admin's transaction, after the brand and its inlines are written, so
    the job runs on commit and sees them.
    """
    reanalyze_enqueue(workspace_id=brand.workspace_id)
