"""Parsing and validation of a brand: its name, kind, aliases and domains."""

from __future__ import annotations

import ipaddress
import re

from django import forms
from django.db.models import QuerySet

from monitoring.analysis import normalize_domain
from monitoring.models import Brand, BrandAlias, BrandDomain, BrandKind, Workspace

NAME_MAX = Brand._meta.get_field("name").max_length
ALIAS_MAX = BrandAlias._meta.get_field("name").max_length
DOMAIN_MAX = BrandDomain._meta.get_field("domain").max_length

#: A host name label (the analysis also accepts "_", which no registrable name has).
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def split_list(text: str) -> list[str]:
    """Comma-separated text → its non-blank items, trimmed, first spelling of each kept."""
    items, seen = [], set()
    for raw in (text or "").split(","):
        item = " ".join(raw.split())
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            items.append(item)
    return items


def clean_domain(text: str) -> str:
    """``https://m.Example.com/pricing`` → ``example.com``: the key the analysis groups by.

    The spelling is the analysis's own ``normalize_domain``, so a brand's domain and its
    citations always agree. A brand's domain must moreover be a registrable name: not an
    IP address, not a single label (``localhost``), letters, digits and hyphens only, and
    short enough for the column; anything else raises ValidationError.
    """
    domain = normalize_domain(text)
    if not _is_registrable(domain):
        raise forms.ValidationError(
            f"Not a web domain: “{text.strip()}”. Enter a domain like example.com.",
            code="not_a_domain",
        )
    return domain


def _is_registrable(domain: str) -> bool:
    if not domain or len(domain) > DOMAIN_MAX:
        return False
    try:
        ipaddress.ip_address(domain)
    except ValueError:
        labels = domain.split(".")
        return len(labels) >= 2 and all(_HOST_LABEL.match(label) for label in labels)
    return False


def other_brands(*, workspace_id: int | None, brand: Brand | None = None) -> QuerySet[Brand]:
    """The workspace's brands but ``brand`` (which may not be saved yet)."""
    others = Brand.objects.filter(workspace_id=workspace_id)
    return others.exclude(pk=brand.pk) if brand is not None and brand.pk else others


def check_name_unclaimed(name: str, *, others: QuerySet[Brand]) -> None:
    """A brand's name must be neither another brand's name nor another brand's alias."""
    if others.filter(name__iexact=name).exists():
        raise forms.ValidationError(f"There is already a brand called “{name}” here.")
    alias = (
        BrandAlias.objects.filter(brand__in=others, name__iexact=name)
        .select_related("brand")
        .first()
    )
    if alias:
        raise forms.ValidationError(
            f"“{name}” is already an alias of {alias.brand.name}; remove it there first."
        )


def check_aliases_unclaimed(aliases: list[str], *, others: QuerySet[Brand]) -> None:
    """An alias that names another brand would count one brand's mentions as another's."""
    wanted = {a.casefold() for a in aliases}
    clash = next((b for b in others if b.name.casefold() in wanted), None)
    if clash:
        raise forms.ValidationError(
            f"“{clash.name}” is the name of another brand, so it cannot be an alias here."
        )
    taken = BrandAlias.objects.filter(brand__in=others).select_related("brand")
    alias = next((a for a in taken if a.name.casefold() in wanted), None)
    if alias:
        raise forms.ValidationError(f"“{alias.name}” is already an alias of {alias.brand.name}.")


def tidy_name(text: str) -> str:
    """A brand or alias name with its runs of whitespace made single spaces."""
    return " ".join(text.split())


class BrandForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX, strip=True)
    kind = forms.ChoiceField(choices=BrandKind.choices, initial=BrandKind.COMPETITOR)
    aliases = forms.CharField(
        required=False,
        help_text="Other names that count as a mention, separated by commas.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. HubSpot CRM, HS"}),
    )
    domains = forms.CharField(
        required=False,
        help_text="Web domains, separated by commas.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. hubspot.com"}),
    )

    def __init__(self, *args, workspace: Workspace, brand: Brand | None = None, **kwargs):
        self.workspace = workspace
        self.brand = brand
        if brand is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": brand.name,
                "kind": brand.kind,
                "aliases": ", ".join(a.name for a in brand.aliases.all()),
                "domains": ", ".join(d.domain for d in brand.domains.all()),
            }
        super().__init__(*args, **kwargs)

    def _other_brands(self) -> QuerySet[Brand]:
        return other_brands(workspace_id=self.workspace.pk, brand=self.brand)

    def clean_name(self) -> str:
        name = tidy_name(self.cleaned_data["name"])
        check_name_unclaimed(name, others=self._other_brands())
        return name

    def clean_aliases(self) -> list[str]:
        aliases = split_list(self.cleaned_data["aliases"])
        too_long = [a for a in aliases if len(a) > ALIAS_MAX]
        if too_long:
            raise forms.ValidationError(
                f"Aliases can be at most {ALIAS_MAX} characters: “{too_long[0][:30]}…”."
            )
        check_aliases_unclaimed(aliases, others=self._other_brands())
        return aliases

    def clean_domains(self) -> list[str]:
        domains, bad = [], []
        for item in split_list(self.cleaned_data["domains"]):
            try:
                domain = clean_domain(item)
            except forms.ValidationError:
                bad.append(item)
                continue
            if domain not in domains:
                domains.append(domain)
        if bad:
            listed = ", ".join(f"“{b}”" for b in bad)
            raise forms.ValidationError(
                f"Not a web domain: {listed}. Enter domains like example.com, separated by commas."
            )
        return domains

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("name")
        if name and cleaned.get("aliases"):
            cleaned["aliases"] = [a for a in cleaned["aliases"] if a.casefold() != name.casefold()]
        return cleaned
