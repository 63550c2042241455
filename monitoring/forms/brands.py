"""Parsing and validation of a brand: its name, kind, aliases and domains."""

from __future__ import annotations

import re

from django import forms

from monitoring.models import Brand, BrandAlias, BrandDomain, BrandKind, Workspace

NAME_MAX = Brand._meta.get_field("name").max_length
ALIAS_MAX = BrandAlias._meta.get_field("name").max_length
DOMAIN_MAX = BrandDomain._meta.get_field("domain").max_length

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


def split_list(text: str) -> list[str]:
    """Comma-separated text → its non-blank items, trimmed, first spelling of each kept."""
    items, seen = [], set()
    for raw in (text or "").split(","):
        item = " ".join(raw.split())
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            items.append(item)
    return items


def normalize_domain(text: str) -> str:
    """``https://www.Example.com/pricing`` → ``example.com``; ValueError when not a domain."""
    domain = _SCHEME.sub("", text.strip().lower())
    domain = re.split(r"[/?#]", domain, maxsplit=1)[0]
    domain = domain.rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
    domain = domain.removeprefix("www.")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(text) from exc
    labels = domain.split(".")
    if (
        len(domain) > DOMAIN_MAX
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or not _TLD.match(labels[-1])
    ):
        raise ValueError(text)
    return domain


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

    def _other_brands(self):
        others = Brand.objects.filter(workspace=self.workspace)
        return others.exclude(pk=self.brand.pk) if self.brand else others

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if self._other_brands().filter(name__iexact=name).exists():
            raise forms.ValidationError(f"There is already a brand called “{name}” here.")
        alias = (
            BrandAlias.objects.filter(brand__in=self._other_brands(), name__iexact=name)
            .select_related("brand")
            .first()
        )
        if alias:
            raise forms.ValidationError(
                f"“{name}” is already an alias of {alias.brand.name}; remove it there first."
            )
        return name

    def clean_aliases(self) -> list[str]:
        aliases = split_list(self.cleaned_data["aliases"])
        too_long = [a for a in aliases if len(a) > ALIAS_MAX]
        if too_long:
            raise forms.ValidationError(
                f"Aliases can be at most {ALIAS_MAX} characters: “{too_long[0][:30]}…”."
            )
        self._check_aliases_unclaimed(aliases)
        return aliases

    def _check_aliases_unclaimed(self, aliases: list[str]) -> None:
        """An alias that names another brand would count one brand's mentions as another's."""
        wanted = {a.casefold() for a in aliases}
        clash = next((b for b in self._other_brands() if b.name.casefold() in wanted), None)
        if clash:
            raise forms.ValidationError(
                f"“{clash.name}” is the name of another brand, so it cannot be an alias here."
            )
        taken = BrandAlias.objects.filter(brand__in=self._other_brands()).select_related("brand")
        clash = next((a for a in taken if a.name.casefold() in wanted), None)
        if clash:
            raise forms.ValidationError(
                f"“{clash.name}” is already an alias of {clash.brand.name}."
            )

    def clean_domains(self) -> list[str]:
        domains, bad = [], []
        for item in split_list(self.cleaned_data["domains"]):
            try:
                domain = normalize_domain(item)
            except ValueError:
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
