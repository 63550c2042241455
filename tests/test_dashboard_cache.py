"""The dashboard's body is cached under the workspace's version: rendered once while
nothing changes, never shown stale after a change (the conftest's ``data`` set: 10 answers,
Acme own, Beta and Gamma compete)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring.models import Brand, Workspace, WorkspaceVersion
from monitoring.selectors.summaries import version_get
from monitoring.services.prompts import prompt_update
from tests.factories import make_answer, make_brand, make_prompt

pytestmark = pytest.mark.django_db


def _page(client, workspace, params=None, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            reverse("workspace_home", args=[workspace.pk]), params or {}, **headers
        )
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


def _answers_shown(page: str) -> int:
    found = re.search(r'data-testid="dash-summary">\s*<a [^>]*><strong>([\d,]+)</strong>', page)
    assert found, "no answer count on the page"
    return int(found.group(1).replace(",", ""))


def _body(page: str) -> str:
    """The dashboard's body (the page around it carries a new CSRF token each time)."""
    return page[page.index('<div id="dashboard-body"') :]


def _summary_reads(queries: list[str]) -> list[str]:
    """The reads of the summaries' numbers (not the stale days' marks, nor the filters'
    list of models, a DISTINCT)."""
    return [
        q
        for q in queries
        if re.search(r'FROM "monitoring_\w+summary"', q) and not q.startswith("SELECT DISTINCT")
    ]


def test_a_second_view_reads_no_summary_and_shows_the_same_body(workspace, viewer_client, data):
    first, first_queries = _page(viewer_client, workspace)
    second, second_queries = _page(viewer_client, workspace)
    assert _answers_shown(first) == 10
    assert _body(second) == _body(first)
    assert _summary_reads(first_queries)
    assert _summary_reads(second_queries) == []
    # The session, the user and the membership (twice: the menu's), the filters' menus
    # (tags, prompts, monitors, models with the stale days' check, own brands), the
    # period's stale days and the version: 12, whatever the history's size.
    assert len(second_queries) == 12


def test_htmx_gets_the_cached_body_alone(workspace, viewer_client, data):
    full, _ = _page(viewer_client, workspace)
    partial, queries = _page(viewer_client, workspace, headers={"HX-Request": "true"})
    assert _summary_reads(queries) == []
    assert partial.strip() in full
    assert "<html" not in partial


def test_a_new_answer_is_shown_at_once(workspace, viewer_client, data):
    before, _ = _page(viewer_client, workspace)
    make_answer(workspace=workspace, prompt=data["P1"], text="Acme again.")
    after, _ = _page(viewer_client, workspace)
    assert (_answers_shown(before), _answers_shown(after)) == (10, 11)


def test_a_renamed_brand_is_shown_at_once(workspace, viewer_client, data):
    _page(viewer_client, workspace)
    beta = Brand.objects.get(pk=data["beta"].pk)
    beta.name = "Betamax"
    beta.save()
    after, _ = _page(viewer_client, workspace)
    assert "Betamax" in after


def test_a_new_brand_and_a_new_wording_are_shown_at_once(workspace, viewer_client, data):
    _page(viewer_client, workspace)
    make_brand(workspace=workspace, name="Deltacorp", kind="competitor")
    after, _ = _page(viewer_client, workspace)
    assert "Deltacorp" in after
    prompt = data["P2"]
    prompt_update(
        prompt=prompt,
        text="Which tool is cheapest?",
        tags=[],
        system_message=prompt.system_message,
        message_chain=prompt.message_chain,
        is_active=True,
    )
    # The answers stay under the wording they were asked in, which is now an earlier one.
    assert "Earlier wording" not in after
    reworded, _ = _page(viewer_client, workspace)
    assert "Earlier wording (version 1)" in reworded


def test_filters_are_cached_apart(workspace, viewer_client, data):
    everything, _ = _page(viewer_client, workspace)
    one_prompt, queries = _page(viewer_client, workspace, {"prompt": data["P2"].pk})
    assert _summary_reads(queries)  # not the unfiltered body
    assert (_answers_shown(everything), _answers_shown(one_prompt)) == (10, 5)


def test_an_empty_dashboard_is_not_cached(workspace, viewer_client):
    _page(viewer_client, workspace)
    _, queries = _page(viewer_client, workspace)
    assert _summary_reads(queries)  # computed again: its set-up steps change unversioned


def test_the_version_grows_with_each_change_and_not_otherwise(workspace, data):
    from monitoring.services.summaries import summaries_refresh

    summaries_refresh(workspace_id=workspace.pk)
    start = version_get(workspace.pk)
    summaries_refresh(workspace_id=workspace.pk)  # nothing stale: no change
    assert version_get(workspace.pk) == start
    make_prompt(workspace=workspace, text="A new question?")
    assert version_get(workspace.pk) == start + 1
    make_answer(workspace=workspace, prompt=data["P1"])
    summaries_refresh(workspace_id=workspace.pk)
    assert version_get(workspace.pk) == start + 2


def test_deleting_a_workspace_leaves_no_version_behind(workspace):
    make_brand(workspace=workspace, name="Solo", kind="own")
    make_prompt(workspace=workspace, text="Anything?")
    assert WorkspaceVersion.objects.filter(workspace=workspace).exists()
    Workspace.objects.filter(pk=workspace.pk).delete()  # brands' and prompts' signals run
    assert not WorkspaceVersion.objects.exists()


def test_without_a_version_row_nothing_is_cached(workspace, viewer_client, data):
    _page(viewer_client, workspace)  # builds the summaries (a rebuild makes the row)
    WorkspaceVersion.objects.filter(workspace=workspace).delete()
    Brand.objects.get(pk=data["beta"].pk).delete()  # a deletion does not make it
    assert version_get(workspace.pk) is None
    _page(viewer_client, workspace)
    _, queries = _page(viewer_client, workspace)
    assert _summary_reads(queries)


# --- The tick renders the default view again ------------------------------------------------


def _tick_summaries() -> int:
    from monitoring.pipeline.runner import _summaries

    return _summaries()


def test_the_tick_renders_a_viewed_dashboard_after_new_answers(workspace, viewer_client, data):
    _page(viewer_client, workspace)
    make_answer(workspace=workspace, prompt=data["P1"], text="Acme again.")
    assert _tick_summaries() >= 1
    page, queries = _page(viewer_client, workspace)
    assert _summary_reads(queries) == []  # rendered by the tick, under the new version
    assert _answers_shown(page) == 11


def test_the_tick_renders_no_dashboard_nobody_viewed(workspace, data):
    from monitoring.services.dashboard_body import bodies_warm

    make_answer(workspace=workspace, prompt=data["P1"])
    assert bodies_warm([workspace.pk]) == 0


def test_a_dashboard_that_fails_to_render_leaves_the_others(
    workspace, other_workspace, viewer_client, data, monkeypatch, caplog
):
    from monitoring.services import dashboard_body

    make_answer(workspace=other_workspace, prompt=make_prompt(workspace=other_workspace))
    for ws in (workspace, other_workspace):
        dashboard_body.cache.set(dashboard_body._viewed_key(ws.pk), True)
    real = dashboard_body._body_render

    def render(membership, filters, request):
        if membership.workspace.pk == workspace.pk:
            raise RuntimeError("a broken row")
        return real(membership, filters, request)

    monkeypatch.setattr(dashboard_body, "_body_render", render)
    from monitoring.services.summaries import summaries_refresh

    summaries_refresh()
    assert dashboard_body.bodies_warm([workspace.pk, other_workspace.pk]) == 1
    assert f"dashboard of workspace {workspace.pk} failed" in caplog.text


def test_the_tick_renders_the_body_the_page_renders(workspace, viewer_client, data):
    """Rendered without a request, by the tick, it is the same body a viewer's request
    renders: nothing in it depends on who asks."""
    from django.core.cache import cache

    from monitoring.services.dashboard_body import bodies_warm

    _page(viewer_client, workspace)  # viewed: the tick may render it
    make_answer(workspace=workspace, prompt=data["P1"], text="Acme again.")
    _tick_summaries()
    warmed, queries = _page(viewer_client, workspace)
    assert _summary_reads(queries) == []
    cache.clear()
    rendered, queries = _page(viewer_client, workspace)
    assert _summary_reads(queries)
    assert _body(warmed) == _body(rendered)
    assert bodies_warm([workspace.pk]) == 0  # cached already by that view: not rendered twice


def test_a_failing_cache_is_a_miss_not_an_error(
    workspace, viewer_client, data, monkeypatch, caplog
):
    from monitoring.services import dashboard_body

    def down(*args, **kwargs):
        raise ConnectionError("cache server down")

    for name in ("get", "set", "get_many"):
        monkeypatch.setattr(dashboard_body.cache, name, down)
    page, queries = _page(viewer_client, workspace)
    assert _answers_shown(page) == 10
    assert _summary_reads(queries)  # computed
    assert "cache failed" in caplog.text
    assert dashboard_body.bodies_warm([workspace.pk]) == 0
