"""The brands page: own brand and competitors, created, edited and deleted in place."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from monitoring.access import workspace_access, workspace_object_or_404
from monitoring.forms.brands import BrandForm
from monitoring.selectors.brands import brand_groups, brand_queryset
from monitoring.services import brands as brand_services


def _section(request, membership, form=None, *, template=None, **extra):
    """The whole brands section (both groups and the add form), or the page around it."""
    workspace = membership.workspace
    groups = brand_groups(workspace=workspace)
    if form is None:  # the first brand added is most likely the workspace's own
        form = BrandForm(
            workspace=workspace, initial={"kind": "competitor" if groups["own"] else "own"}
        )
    context = {"membership": membership, "groups": groups, "form": form, **extra}
    if template is None:
        template = (
            "monitoring/brands/_brands.html" if request.htmx else "monitoring/brands/list.html"
        )
    return render(request, template, context)


@require_GET
def brand_list(request, workspace_id: int):
    membership = workspace_access(request, workspace_id)
    return _section(request, membership, template="monitoring/brands/list.html")


@require_POST
def brand_create(request, workspace_id: int):
    membership = workspace_access(request, workspace_id, write=True)
    form = BrandForm(request.POST, workspace=membership.workspace)
    if not form.is_valid():
        return _section(request, membership, form)
    brand = brand_services.brand_create(workspace=membership.workspace, **form.cleaned_data)
    if not request.htmx:
        messages.success(request, f"Added {brand.name}.")
        return redirect("brand_list", workspace_id=workspace_id)
    return _section(request, membership, added_id=brand.pk)


@require_GET
def brand_row(request, workspace_id: int, brand_id: int):
    brand = workspace_object_or_404(
        request, brand_queryset(), pk=brand_id, workspace_id=workspace_id
    )
    return render(
        request,
        "monitoring/brands/_row.html",
        {"brand": brand, "membership": request.membership},
    )


@require_http_methods(["GET", "POST"])
def brand_edit(request, workspace_id: int, brand_id: int):
    brand = workspace_object_or_404(
        request, brand_queryset(), write=True, pk=brand_id, workspace_id=workspace_id
    )
    form = BrandForm(
        request.POST if request.method == "POST" else None, workspace=brand.workspace, brand=brand
    )
    if request.method == "POST" and form.is_valid():
        kind_before = brand.kind
        brand = brand_services.brand_update(brand=brand, **form.cleaned_data)
        if not request.htmx:
            messages.success(request, f"Saved {brand.name}.")
            return redirect("brand_list", workspace_id=workspace_id)
        if brand.kind != kind_before:  # the row moves to the other group
            response = _section(request, request.membership, added_id=brand.pk)
            response["HX-Retarget"], response["HX-Reswap"] = "#brands", "outerHTML"
            return response
        return render(
            request,
            "monitoring/brands/_row.html",
            {"brand": brand, "membership": request.membership, "saved": True},
        )
    template = "monitoring/brands/_row_form.html" if request.htmx else "monitoring/brands/edit.html"
    return render(request, template, {"brand": brand, "form": form})


@require_http_methods(["GET", "POST"])
def brand_delete(request, workspace_id: int, brand_id: int):
    brand = workspace_object_or_404(
        request, brand_queryset(), write=True, pk=brand_id, workspace_id=workspace_id
    )
    if request.method == "GET":
        return render(request, "monitoring/brands/delete.html", {"brand": brand})
    brand_services.brand_delete(brand=brand)
    if not request.htmx:
        messages.success(request, f"Deleted {brand.name}.")
        return redirect("brand_list", workspace_id=workspace_id)
    return _section(request, request.membership, deleted_name=brand.name)
