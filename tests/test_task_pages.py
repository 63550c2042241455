"""The task list, the live status badge and the task detail page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.models import (
    ApiCall,
    Monitor,
    PipelineHalt,
    TaskEvent,
    TaskStatus,
)
from monitoring.services.history import task_cost_record, task_transition
from monitoring.services.summaries import summaries_refresh
from tests.factories import make_answer, make_prompt, make_task, make_tasks

pytestmark = pytest.mark.django_db


def list_url(workspace, **query):
    url = reverse("task_list", args=[workspace.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def rows(response):
    return response.content.decode().count('data-testid="task-row"')


def test_it_filters_by_status_prompt_monitor_and_dates(viewer_client, workspace):
    weekly = Monitor.objects.create(workspace=workspace, name="Weekly CRM")
    crm = make_prompt(workspace=workspace, text="Which CRM for agencies?")
    make_tasks(workspace=workspace, count=3, prompt=crm, monitor=weekly, status=TaskStatus.POSTED)
    make_tasks(workspace=workspace, count=2, status=TaskStatus.COLLECTED)
    make_task(
        workspace=workspace,
        status=TaskStatus.FAILED,
        created_at=timezone.now() - timedelta(days=10),
    )

    assert rows(viewer_client.get(list_url(workspace))) == 6
    assert rows(viewer_client.get(list_url(workspace, status="posted"))) == 3
    assert rows(viewer_client.get(list_url(workspace, q="agencies"))) == 3
    assert rows(viewer_client.get(list_url(workspace, prompt=crm.pk))) == 3
    assert rows(viewer_client.get(list_url(workspace, monitor=weekly.pk))) == 3
    day = (timezone.now() - timedelta(days=10)).date().isoformat()
    assert rows(viewer_client.get(list_url(workspace, created_from=day, created_to=day))) == 1
    # An unknown status is ignored, not a 500.
    assert rows(viewer_client.get(list_url(workspace, status="nonsense"))) == 6
    page = viewer_client.get(list_url(workspace, q="agencies")).content.decode()
    # Counts per status follow the other filters: only the three CRM tasks, all posted.
    assert 'data-status="posted"' in page
    assert 'data-status="collected"' not in page


def test_it_shows_no_tasks_of_another_workspace(viewer_client, workspace, other_workspace):
    theirs = make_task(workspace=other_workspace, status=TaskStatus.POSTED)
    assert rows(viewer_client.get(list_url(workspace))) == 0
    for name in ("task_detail", "task_status"):
        response = viewer_client.get(reverse(name, args=[workspace.pk, theirs.pk]))
        assert response.status_code == 404


def test_it_paginates_by_50_keeping_the_filters(viewer_client, workspace):
    make_tasks(workspace=workspace, count=120, status=TaskStatus.POSTED)
    first = viewer_client.get(list_url(workspace, status="posted"))
    assert rows(first) == 50
    body = first.content.decode()
    assert "Page 1 of 3" in body
    assert "?status=posted&amp;page=2" in body
    last = viewer_client.get(list_url(workspace, status="posted", page=3))
    assert rows(last) == 20


def test_it_returns_the_results_partial_to_htmx_with_vary(viewer_client, workspace):
    make_tasks(workspace=workspace, count=2, status=TaskStatus.POSTED)
    full = viewer_client.get(list_url(workspace))
    partial = viewer_client.get(
        list_url(workspace, status="posted"), headers={"HX-Request": "true"}
    )
    assert "HX-Request" in full["Vary"]
    assert "HX-Request" in partial["Vary"]
    assert "<html" in full.content.decode()
    body = partial.content.decode()
    assert "<html" not in body
    assert body.count('id="task-results"') == 1
    # The form's hidden status follows the tab clicked, so the next filter change keeps it.
    assert 'id="filter-status" value="posted" hx-swap-oob="true"' in body
    assert rows(partial) == 2


def test_it_polls_a_status_badge_only_while_the_task_is_not_final(viewer_client, workspace):
    task = make_task(workspace=workspace, status=TaskStatus.POSTED)
    url = reverse("task_status", args=[workspace.pk, task.pk])
    badge = viewer_client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in badge
    assert f'hx-get="{url}"' in badge
    assert 'hx-swap="outerHTML"' in badge
    assert ">Posted<" in badge

    task_transition(task=task, to=TaskStatus.COLLECTED, allowed_from=[TaskStatus.POSTED])
    badge = viewer_client.get(url).content.decode()
    assert ">Collected<" in badge
    assert "hx-trigger" not in badge
    assert "hx-get" not in badge


def test_it_polls_only_the_non_final_rows_of_the_list(viewer_client, workspace):
    make_tasks(workspace=workspace, count=3, status=TaskStatus.POSTED)
    make_tasks(workspace=workspace, count=4, status=TaskStatus.COLLECTED)
    page = viewer_client.get(list_url(workspace)).content.decode()
    assert page.count('hx-trigger="every 2s"') == 3


def _collected_task(workspace, text="**HubSpot** is a good pick.\nThen Pipedrive."):
    task = make_task(workspace=workspace, status=TaskStatus.POSTED)
    call = ApiCall.objects.create(
        endpoint="task_get",
        started_at=timezone.now(),
        http_status=200,
        outcome="ok",
        gateway_price=Decimal("0.012300"),
    )
    task_transition(
        task=task,
        to=TaskStatus.COLLECTED,
        allowed_from=[TaskStatus.POSTED],
        api_call=call,
        message="Answer stored.",
        collected_at=timezone.now(),
    )
    task_cost_record(task=task, field="money_spent", amount=Decimal("0.004567"), api_call=call)
    make_answer(
        task=task,
        text=text,
        model_name="claude-sonnet-4-20250514",
        input_tokens=12,
        output_tokens=345,
        web_search=True,
        money_spent=Decimal("0.004567"),
        answered_at=timezone.now(),
        fan_out_queries=["best crm for agencies 2025"],
        citations=[
            {"url": "https://www.g2.com/crm", "title": "G2 CRM", "domain": "g2.com"},
            {"url": "javascript:alert(1)", "title": "Bad", "domain": "evil.test"},
        ],
        analyze=False,
    )
    return task


def test_it_shows_the_timeline_costs_answer_and_citations(viewer_client, workspace):
    task = _collected_task(workspace)
    TaskEvent.objects.create(
        task=task, status_from="posting", status_to="queued", error_code=40202, message="Slow down"
    )
    page = viewer_client.get(reverse("task_detail", args=[workspace.pk, task.pk])).content.decode()
    assert 'data-testid="timeline"' in page
    assert "Answer stored." in page
    assert "<code>task_get</code> · HTTP 200 · ok · gateway price 0.012300 USD" in page
    assert '<strong>money_spent</strong> = <span class="money">0.004567</span>' in page
    assert "error 40202" in page
    assert "Slow down" in page
    assert "**HubSpot** is a good pick.\nThen Pipedrive." in page  # plain text, line breaks kept
    assert "345 out" in page
    assert "web search on" in page
    assert 'href="https://www.g2.com/crm"' in page
    assert "g2.com" in page
    assert 'href="javascript:' not in page  # a non-web URL stays text
    assert "best crm for agencies 2025" in page
    assert "&quot;model_name&quot;: &quot;claude-sonnet-4-20250514&quot;" in page  # pretty JSON
    assert 'id="task-live"' in page
    assert "hx-trigger" not in page


def test_it_escapes_the_answer_text(viewer_client, workspace):
    task = _collected_task(workspace, text="Try <script>alert('x')</script> and <b>Acme</b>")
    page = viewer_client.get(reverse("task_detail", args=[workspace.pk, task.pk])).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<b>Acme</b>" not in page


def test_it_live_updates_the_detail_only_until_final(viewer_client, workspace):
    task = make_task(workspace=workspace, status=TaskStatus.POSTED)
    url = reverse("task_detail", args=[workspace.pk, task.pk])
    page = viewer_client.get(url)
    assert 'hx-trigger="every 2s"' in page.content.decode()
    assert "HX-Request" in page["Vary"]
    partial = viewer_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert partial.startswith('<div id="task-live"') or 'id="task-live"' in partial[:200]
    assert "<html" not in partial
    assert 'hx-trigger="every 2s"' in partial
    task_transition(task=task, to=TaskStatus.EXPIRED, allowed_from=[TaskStatus.POSTED])
    partial = viewer_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in partial
    assert "the task ended as “Expired”" in partial


def test_it_warns_when_posting_is_halted(viewer_client, workspace):
    assert (
        'data-testid="halt-banner"' not in viewer_client.get(list_url(workspace)).content.decode()
    )
    PipelineHalt.objects.create(reason="Insufficient balance on the AIsa account.", error_code=402)
    page = viewer_client.get(list_url(workspace)).content.decode()
    assert 'data-testid="halt-banner"' in page
    assert "Posting is halted." in page
    assert "Insufficient balance" in page
    PipelineHalt.objects.update(resolved_at=timezone.now())
    assert (
        'data-testid="halt-banner"' not in viewer_client.get(list_url(workspace)).content.decode()
    )


def test_it_explains_why_tasks_are_held_with_their_count(viewer_client, workspace):
    held = make_tasks(workspace=workspace, count=3, status=TaskStatus.HELD)
    TaskEvent.objects.create(
        task=held[0],
        status_from="queued",
        status_to="held",
        message="Held: this workspace's monthly budget is used up.",
    )
    page = viewer_client.get(list_url(workspace)).content.decode()
    assert "3 tasks held for budget." in page
    assert "monthly budget is used up" in page


@pytest.mark.parametrize("n", [10, 500])
def test_it_lists_in_constant_queries(viewer_client, workspace, n, django_assert_max_num_queries):
    monitor = Monitor.objects.create(workspace=workspace, name="Daily")
    make_tasks(workspace=workspace, count=n // 2, status=TaskStatus.POSTED, monitor=monitor)
    make_tasks(workspace=workspace, count=n - n // 2, status=TaskStatus.HELD)
    PipelineHalt.objects.create(reason="Key revoked", error_code=401)
    viewer_client.get(
        list_url(workspace)
    )  # the first visit also stores the workspace in the session
    # The counts: the stale days' marks, the summaries of the other days, and the tasks
    # of the stale days (the tasks' day, until the tick rebuilds it).
    with django_assert_max_num_queries(12):
        response = viewer_client.get(list_url(workspace))
    assert rows(response) == min(n, 50)
    with django_assert_max_num_queries(10):
        viewer_client.get(list_url(workspace, status="posted"), headers={"HX-Request": "true"})
    summaries_refresh(workspace_id=workspace.pk)
    with django_assert_max_num_queries(11):
        response = viewer_client.get(list_url(workspace))
    assert rows(response) == min(n, 50)
    assert f"{n - n // 2}" in response.content.decode()  # the held count, now summed


@pytest.mark.parametrize("n", [2, 40])
def test_it_shows_a_task_in_constant_queries(
    viewer_client, workspace, n, django_assert_max_num_queries
):
    task = _collected_task(workspace)
    for i in range(n):
        task_cost_record(task=task, field="cost_real", amount=Decimal(i + 1))
    url = reverse("task_detail", args=[workspace.pk, task.pk])
    viewer_client.get(url)
    with django_assert_max_num_queries(8):
        assert viewer_client.get(url).status_code == 200


def test_it_explains_prepaid_against_real_in_plain_words(viewer_client, workspace):
    dear = make_task(
        workspace=workspace,
        status=TaskStatus.COLLECTED,
        cost_reserved=Decimal("0.2"),
        cost_prepaid=Decimal("0.01"),
        money_spent=Decimal("0.082"),
        cost_real=Decimal("0.0826"),
    )
    cheap = make_task(
        workspace=workspace,
        status=TaskStatus.COLLECTED,
        cost_prepaid=Decimal("0.01"),
        money_spent=Decimal("0.004"),
        cost_real=Decimal("0.0046"),
    )
    in_flight = make_task(
        workspace=workspace, status=TaskStatus.POSTED, cost_reserved=Decimal("0.2")
    )

    def page(task):
        return viewer_client.get(
            reverse("task_detail", args=[workspace.pk, task.pk])
        ).content.decode()

    html = page(dear)
    assert "Beyond the prepayment" in html
    assert '<dd data-testid="cost-difference">0.072600</dd>' in html
    assert "the extra is billed to the account" in html
    html = page(cheap)
    assert "Refund due" in html
    assert '<dd data-testid="cost-difference">0.005400</dd>' in html
    assert "refunds the difference later" in html
    assert "worst-case cost ($0.200000" in page(in_flight)
