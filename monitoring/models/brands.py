"""Brands the workspace tracks: its own and its competitors, with aliases and domains."""

from django.db import models
from django.db.models.functions import Lower


class BrandKind(models.TextChoices):
    OWN = "own", "Own brand"
    COMPETITOR = "competitor", "Competitor"


class Brand(models.Model):
    workspace = models.ForeignKey("Workspace", on_delete=models.CASCADE, related_name="brands")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=BrandKind.choices, default=BrandKind.COMPETITOR)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", Lower("name")]
        constraints = [
            models.UniqueConstraint(
                "workspace", Lower("name"), name="unique_brand_name_per_workspace"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_own(self) -> bool:
        return self.kind == BrandKind.OWN


class BrandAlias(models.Model):
    """A name variant that also counts as a mention of the brand ("HubSpot CRM", "HS")."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = [Lower("name")]
        verbose_name_plural = "brand aliases"
        constraints = [
            models.UniqueConstraint("brand", Lower("name"), name="unique_alias_per_brand"),
        ]

    def __str__(self) -> str:
        return self.name


class BrandDomain(models.Model):
    """A web domain of the brand; citations of it count as the brand's citations."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "domain"], name="unique_domain_per_brand"),
        ]

    def __str__(self) -> str:
        return self.domain
