"""The brands page: own brand and competitors, edited in place with htmx."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from monitoring.analysis import normalize_domain
from monitoring.forms.brands import BrandForm, clean_domain
from monitoring.models import Brand, BrandAlias, BrandDomain

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _create_url(workspace):
    return reverse("brand_create", kwargs={"workspace_id": workspace.pk})


def _brand(workspace, name, kind="competitor", aliases=(), domains=()):
    brand = Brand.objects.create(workspace=workspace, name=name, kind=kind)
    for alias in aliases:
        BrandAlias.objects.create(brand=brand, name=alias)
    for domain in domains:
        BrandDomain.objects.create(brand=brand, domain=domain)
    return brand


def test_it_shows_empty_states_for_both_groups(editor_client, workspace):
    page = editor_client.get(reverse("brand_list", args=[workspace.pk])).content.decode()
    assert "No own brand yet" in page
    assert "No competitors yet" in page
    assert 'value="own" selected' in page  # the first brand added is probably the own one


def test_it_adds_a_brand_in_place_and_returns_the_section(editor_client, workspace):
    response = editor_client.post(
        _create_url(workspace),
        {
            "name": "HubSpot",
            "kind": "own",
            "aliases": "HubSpot CRM, HS, hs",
            "domains": "https://www.HubSpot.com/pricing, blog.hubspot.com",
        },
        **HTMX,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.startswith('<section id="brands">')
    assert "<html" not in page
    brand = Brand.objects.get(workspace=workspace)
    assert (brand.name, brand.kind) == ("HubSpot", "own")
    assert sorted(brand.aliases.values_list("name", flat=True)) == ["HS", "HubSpot CRM"]
    assert sorted(brand.domains.values_list("domain", flat=True)) == [
        "blog.hubspot.com",
        "hubspot.com",
    ]
    assert f'id="brand-{brand.pk}"' in page
    assert "just-saved" in page


def test_it_adds_a_brand_without_javascript_and_redirects(editor_client, workspace):
    response = editor_client.post(
        _create_url(workspace), {"name": "Pipedrive", "kind": "competitor"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("brand_list", args=[workspace.pk])
    assert "Added Pipedrive." in response.content.decode()


def test_it_rejects_a_duplicate_name_ignoring_case_beside_the_field(editor_client, workspace):
    _brand(workspace, "Salesforce")
    response = editor_client.post(
        _create_url(workspace), {"name": "salesforce", "kind": "competitor"}, **HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is already a brand called “salesforce” here." in page
    assert 'aria-invalid="true" aria-describedby="add--name-error"' in page
    assert 'id="add--name-error"' in page
    assert Brand.objects.filter(workspace=workspace).count() == 1


def test_it_allows_the_same_name_in_another_workspace(editor_client, workspace, other_workspace):
    _brand(other_workspace, "Salesforce")
    editor_client.post(_create_url(workspace), {"name": "Salesforce", "kind": "competitor"})
    assert Brand.objects.filter(workspace=workspace, name="Salesforce").exists()


def test_it_rejects_an_alias_that_is_another_brands_name(editor_client, workspace):
    _brand(workspace, "Zoho", aliases=["Zoho CRM"])
    response = editor_client.post(
        _create_url(workspace), {"name": "HubSpot", "kind": "own", "aliases": "HS, zoho"}, **HTMX
    )
    assert "“Zoho” is the name of another brand, so it cannot be an alias here." in (
        response.content.decode()
    )
    response = editor_client.post(
        _create_url(workspace), {"name": "HubSpot", "aliases": "zoho crm", "kind": "own"}, **HTMX
    )
    assert "is already an alias of Zoho" in response.content.decode()
    response = editor_client.post(
        _create_url(workspace), {"name": "Zoho CRM", "kind": "competitor"}, **HTMX
    )
    assert "“Zoho CRM” is already an alias of Zoho" in response.content.decode()
    assert not Brand.objects.filter(name__in=["HubSpot", "Zoho CRM"]).exists()


def _form_domains(workspace, raw):
    form = BrandForm({"name": "Acme", "kind": "own", "domains": raw}, workspace=workspace)
    return form.cleaned_data["domains"] if form.is_valid() else form.errors


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("Example.com", "example.com"),
        ("https://www.Example.com/pricing", "example.com"),
        ("https://www.example.com/pricing?x=1", "example.com"),
        ("m.example.com", "example.com"),
        ("HTTPS://user@M.Example.com:443/x", "example.com"),
        ("http://shop.example.co.uk:8080/", "shop.example.co.uk"),
        ("www.example.io.", "example.io"),
        ("bücher.de", "xn--bcher-kva.de"),
    ],
)
def test_it_normalizes_domains_as_the_analysis_does(workspace, raw, domain):
    assert _form_domains(workspace, raw) == [domain]
    assert normalize_domain(raw) == domain  # the key citations are grouped by: one spelling


def test_it_keeps_one_of_two_spellings_of_a_domain(workspace):
    raw = "example.com, https://m.example.com/app, www.example.com"
    assert _form_domains(workspace, raw) == ["example.com"]


@pytest.mark.parametrize(
    "raw",
    [
        "localhost",  # a single label
        "not a domain",
        "exa_mple.com",  # the analysis reads it; no registrable name has an underscore
        "-x.com",
        "x.c0m",
        "mailto:sales@example.com",
        "192.168.0.1",  # an IP address: the analysis keeps it, a brand cannot own it
        "http://[2001:db8::1]/",
        ".".join(["a" * 50] * 5) + ".com",  # a valid host, longer than the column
    ],
)
def test_it_refuses_what_is_not_a_registrable_domain(workspace, raw):
    errors = _form_domains(workspace, raw)
    assert "Not a web domain" in errors["domains"][0]
    with pytest.raises(ValidationError):
        clean_domain(raw)


def test_it_explains_invalid_domains_beside_the_field(editor_client, workspace):
    response = editor_client.post(
        _create_url(workspace),
        {"name": "Acme", "kind": "own", "domains": "acme.com, not a domain, localhost"},
        **HTMX,
    )
    page = response.content.decode()
    assert "Not a web domain: “not a domain”, “localhost”." in page
    assert 'id="add--domains-error"' in page
    assert not Brand.objects.exists()


def test_it_opens_the_inline_edit_form_and_saves_back_the_row(editor_client, workspace):
    brand = _brand(workspace, "Zoho", aliases=["Zoho CRM", "ZH"], domains=["zoho.com"])
    old_alias = brand.aliases.get(name="Zoho CRM")
    url = reverse("brand_edit", args=[workspace.pk, brand.pk])
    form = editor_client.get(url, **HTMX).content.decode()
    assert form.startswith(f'<tr id="brand-{brand.pk}" class="brand-row editing">')
    assert 'value="ZH, Zoho CRM"' in form

    response = editor_client.post(
        url,
        {
            "name": "Zoho One",
            "kind": "competitor",
            "aliases": "Zoho CRM, Zoho",
            "domains": "zoho.eu",
        },
        **HTMX,
    )
    row = response.content.decode()
    assert row.startswith(f'<tr id="brand-{brand.pk}" class="brand-row just-saved">')
    assert "Zoho One" in row
    assert "zoho.eu" in row
    assert "zoho.com" not in row
    assert sorted(brand.aliases.values_list("name", flat=True)) == ["Zoho", "Zoho CRM"]
    assert brand.aliases.filter(pk=old_alias.pk).exists()  # unchanged aliases keep their rows


def test_it_redraws_the_section_when_a_brand_changes_group(editor_client, workspace):
    brand = _brand(workspace, "Acme")
    url = reverse("brand_edit", args=[workspace.pk, brand.pk])
    response = editor_client.post(url, {"name": "Acme", "kind": "own"}, **HTMX)
    assert response["HX-Retarget"] == "#brands"
    assert response.content.decode().startswith('<section id="brands">')


def test_it_keeps_the_inline_form_with_errors_when_saving_fails(editor_client, workspace):
    _brand(workspace, "Zoho")
    brand = _brand(workspace, "Pipedrive")
    url = reverse("brand_edit", args=[workspace.pk, brand.pk])
    response = editor_client.post(url, {"name": "ZOHO", "kind": "competitor"}, **HTMX)
    page = response.content.decode()
    assert page.startswith(f'<tr id="brand-{brand.pk}" class="brand-row editing">')
    assert "There is already a brand called “ZOHO” here." in page
    brand.refresh_from_db()
    assert brand.name == "Pipedrive"


def test_it_lets_a_brand_keep_its_own_name_when_edited(editor_client, workspace):
    brand = _brand(workspace, "Zoho")
    url = reverse("brand_edit", args=[workspace.pk, brand.pk])
    editor_client.post(url, {"name": "zoho", "kind": "competitor", "aliases": "Zoho, ZH"})
    brand.refresh_from_db()
    assert brand.name == "zoho"
    assert list(brand.aliases.values_list("name", flat=True)) == ["ZH"]


def test_it_edits_without_javascript_on_a_page_of_its_own(editor_client, workspace):
    brand = _brand(workspace, "Zoho")
    url = reverse("brand_edit", args=[workspace.pk, brand.pk])
    assert "<html" in editor_client.get(url).content.decode()
    response = editor_client.post(url, {"name": "Zoho One", "kind": "competitor"})
    assert response.url == reverse("brand_list", args=[workspace.pk])


def test_it_cancels_an_edit_with_the_row(editor_client, workspace):
    brand = _brand(workspace, "Zoho")
    row = editor_client.get(reverse("brand_row", args=[workspace.pk, brand.pk]), **HTMX)
    assert row.content.decode().startswith(f'<tr id="brand-{brand.pk}" class="brand-row">')


def test_it_deletes_a_brand_after_confirmation(editor_client, workspace):
    brand = _brand(workspace, "Zoho", aliases=["ZH"], domains=["zoho.com"])
    page = editor_client.get(reverse("brand_list", args=[workspace.pk])).content.decode()
    assert 'hx-confirm="Delete Zoho with its 1 alias and 1 domain?' in page
    assert "Answers already collected are kept" in page
    url = reverse("brand_delete", args=[workspace.pk, brand.pk])
    assert "Delete Zoho?" in editor_client.get(url).content.decode()  # the no-JS confirmation
    response = editor_client.post(url, **HTMX)
    assert "Deleted Zoho. Answers already collected are kept." in response.content.decode()
    assert "No competitors yet" in response.content.decode()
    assert not Brand.objects.exists()
    assert not BrandAlias.objects.exists()


def test_it_shows_viewers_the_list_without_edit_controls(client, make_member, workspace):
    brand = _brand(workspace, "Zoho", aliases=["ZH"])
    client.force_login(make_member(workspace, "viewer"))
    page = client.get(reverse("brand_list", args=[workspace.pk])).content.decode()
    assert "Zoho" in page
    assert "ZH" in page
    assert reverse("brand_edit", args=[workspace.pk, brand.pk]) not in page
    assert "Add a brand" not in page
    assert "you can see the brands but not change them" in page


def test_it_refuses_viewers_every_change(client, make_member, workspace):
    brand = _brand(workspace, "Zoho")
    client.force_login(make_member(workspace, "viewer"))
    data = {"name": "Hijacked", "kind": "own"}
    assert client.post(_create_url(workspace), data, **HTMX).status_code == 403
    edit = reverse("brand_edit", args=[workspace.pk, brand.pk])
    assert client.post(edit, data, **HTMX).status_code == 403
    delete = reverse("brand_delete", args=[workspace.pk, brand.pk])
    assert client.post(delete, **HTMX).status_code == 403
    assert list(Brand.objects.values_list("name", flat=True)) == ["Zoho"]


def test_it_hides_brands_of_other_workspaces(editor_client, workspace, other_workspace):
    theirs = _brand(other_workspace, "Secret")
    url = reverse("brand_edit", args=[workspace.pk, theirs.pk])
    assert editor_client.get(url).status_code == 404
    # Their brand addressed through our workspace's URL is not found either.
    page = editor_client.get(reverse("brand_list", args=[workspace.pk])).content.decode()
    assert "Secret" not in page


def test_it_lists_brands_in_constant_queries(
    editor_client, workspace, django_assert_max_num_queries
):
    url = reverse("brand_list", args=[workspace.pk])
    for i in range(3):
        _brand(workspace, f"Brand {i}", aliases=[f"B{i}"], domains=[f"b{i}.com"])
    with django_assert_max_num_queries(12) as few:
        editor_client.get(url)
    for i in range(3, 40):
        _brand(workspace, f"Brand {i}", aliases=[f"B{i}"], domains=[f"b{i}.com"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        editor_client.get(url)
