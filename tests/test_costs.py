"""The costs page: totals per day, per prompt and per monitor, summed in the database."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.models import Monitor, Prompt, Task, TaskStatus
from monitoring.selectors import costs
from monitoring.services.summaries import days_mark
from tests.factories import make_prompt, make_task, refreshed

pytestmark = pytest.mark.django_db

cost_report_get = refreshed(costs.cost_report_get)

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
D = Decimal


def _task(workspace, prompt, *, created, status, prepaid=None, spent=None, monitor=None):
    return make_task(
        workspace=workspace,
        prompt=prompt,
        monitor=monitor,
        request_body={},
        status=status,
        cost_prepaid=prepaid,
        money_spent=spent,
        created_at=created,
        claimed_at=created if status != TaskStatus.HELD else None,  # held: never claimed
    )


@pytest.fixture
def costs(workspace, other_workspace):
    workspace.monthly_budget_usd = D("10.00")
    workspace.save()
    a = make_prompt(workspace=workspace, text="Best CRM for agencies?")
    b = make_prompt(workspace=workspace, text="Cheapest helpdesk?")
    weekly = Monitor.objects.create(workspace=workspace, name="Weekly")
    day14 = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    day15 = datetime(2026, 3, 15, 8, 0, tzinfo=UTC)
    collected, posted, held = TaskStatus.COLLECTED, TaskStatus.POSTED, TaskStatus.HELD
    _task(workspace, a, created=day14, status=collected, prepaid=D("0.01"), spent=D("0.0045"),
          monitor=weekly)  # fmt: skip
    _task(workspace, a, created=day14, status=collected, prepaid=D("0.01"), spent=D("0.00325"))
    _task(workspace, b, created=day15, status=posted, prepaid=D("0.01"), monitor=weekly)
    _task(workspace, b, created=day15, status=held)
    # Outside the 30 days, and another workspace's task: neither counts.
    _task(workspace, a, created=datetime(2026, 1, 2, tzinfo=UTC), status=collected,
          prepaid=D("1"), spent=D("1"))  # fmt: skip
    theirs = make_prompt(workspace=other_workspace, text="Theirs")
    _task(other_workspace, theirs, created=day15, status=collected, prepaid=D("5"), spent=D("5"))
    return {"a": a, "b": b, "weekly": weekly}


def test_it_sums_per_day_over_the_last_30_days(workspace, costs):
    report = cost_report_get(workspace=workspace, now=NOW)
    assert len(report.days) == 30
    assert report.days[0]["day"] == date(2026, 2, 14)
    by_day = {d["day"]: (d["tasks"], d["prepaid"], d["spent"]) for d in report.days}
    assert by_day[date(2026, 3, 14)] == (2, D("0.020000"), D("0.007750"))
    assert by_day[date(2026, 3, 15)] == (2, D("0.010000"), D("0.000000"))
    assert by_day[date(2026, 3, 1)] == (0, D("0"), D("0"))
    totals = {k: report.total[k] for k in ("tasks", "prepaid", "spent")}
    assert totals == {"tasks": 4, "prepaid": D("0.030000"), "spent": D("0.007750")}
    assert all(isinstance(d["spent"], Decimal) for d in report.days)


def test_it_sums_per_prompt_and_per_monitor(workspace, costs):
    report = cost_report_get(workspace=workspace, now=NOW)
    assert [(r["prompt_id"], r["tasks"], r["prepaid"], r["spent"]) for r in report.prompts] == [
        (costs["a"].pk, 2, D("0.020000"), D("0.007750")),
        (costs["b"].pk, 2, D("0.010000"), D("0.000000")),
    ]
    monitors = [(r["monitor__name"], r["tasks"], r["prepaid"], r["spent"]) for r in report.monitors]
    assert monitors == [
        ("Weekly", 2, D("0.020000"), D("0.004500")),
        (None, 2, D("0.010000"), D("0.003250")),
    ]  # fmt: skip


def test_it_compares_month_to_date_spend_with_the_budget(workspace, costs):
    month = cost_report_get(workspace=workspace, now=NOW).month
    # Counted like the budget check: each billed task at least its prepayment.
    assert month.counted == D("0.030000")
    assert month.spent == D("0.007750")
    assert month.budget == D("10.00")
    assert month.remaining == D("9.970000")
    assert month.percent == 0


def test_it_passes_exact_amounts_to_the_chart(workspace, costs):
    chart = cost_report_get(workspace=workspace, now=NOW).chart
    assert chart["labels"][-2:] == ["2026-03-14", "2026-03-15"]
    assert chart["spent"][-2:] == ["0.007750", "0.000000"]
    assert chart["prepaid"][-2:] == ["0.020000", "0.010000"]


def test_it_renders_the_page_with_a_vendored_chart(viewer_client, workspace):
    make_task(
        workspace=workspace,
        request_body={},
        status=TaskStatus.COLLECTED,
        cost_prepaid=D("0.01"),
        money_spent=D("0.002345"),
    )
    page = viewer_client.get(reverse("cost_report", args=[workspace.pk])).content.decode()
    assert '<canvas id="cost-chart"' in page
    assert '<script id="cost-chart-data" type="application/json">' in page
    assert "/static/vendor/chartjs/chart.umd.min.js" in page
    # Every script is served from our own static files (a random CSRF token may well hold
    # the letters "cdn", so the test looks at the script sources, not the whole page).
    sources = re.findall(r'<script[^>]*\ssrc="([^"]*)"', page)
    assert sources
    assert all(src.startswith("/static/") for src in sources), sources
    assert "$0.002345" in page
    assert "No monthly budget set" in page


def test_it_shows_an_empty_state_without_tasks(viewer_client, workspace):
    page = viewer_client.get(reverse("cost_report", args=[workspace.pk])).content.decode()
    assert "Nothing spent in the last 30 days" in page
    assert "<canvas" not in page


@pytest.mark.parametrize("n", [5, 300])
def test_it_reports_in_constant_queries(viewer_client, workspace, n, django_assert_max_num_queries):
    monitors = [Monitor.objects.create(workspace=workspace, name=f"M{i}") for i in range(3)]
    prompts = [Prompt.objects.create(workspace=workspace, text=f"P{i}?") for i in range(30)]
    Task.objects.bulk_create(
        Task(
            workspace=workspace, prompt=prompts[i % 30], monitor=monitors[i % 3], tag=f"t-{i}",
            request_body={}, status=TaskStatus.COLLECTED, cost_prepaid=D("0.01"),
            money_spent=D("0.002"),
        )
        for i in range(n)
    )  # fmt: skip
    days_mark([(workspace.pk, timezone.now())])  # as the services' bulk writes do
    url = reverse("cost_report", args=[workspace.pk])
    viewer_client.get(url)  # rebuilds the stale day
    # Stale days; per day, prompt, monitor, model; the month and today against the caps;
    # auth.
    with django_assert_max_num_queries(12):
        response = viewer_client.get(url)
    assert response.status_code == 200
    assert sum(d["tasks"] for d in response.context["report"].days) == n


def test_it_shows_committed_real_refunded_extra_and_reserved(workspace):
    prompt = make_prompt(workspace=workspace, text="Best CRM?")
    day = datetime(2026, 3, 15, 8, 0, tzinfo=UTC)
    sonnet, opus = {"model_name": "claude-sonnet-4-0"}, {"model_name": "claude-opus-4-1"}
    rows = [  # (body, status, reserved, prepaid, real)
        (sonnet, TaskStatus.COLLECTED, "0.03", "0.01", "0.0046"),  # refund due 0.0054
        (opus, TaskStatus.COLLECTED, "0.30", "0.01", "0.0826"),  # 0.0726 beyond the prepayment
        (opus, TaskStatus.POSTED, "0.30", "0.01", None),  # in flight: its reservation counts
    ]
    for body, status, reserved, prepaid, real in rows:
        make_task(
            workspace=workspace,
            prompt=prompt,
            request_body=body,
            status=status,
            cost_reserved=D(reserved),
            cost_prepaid=D(prepaid),
            cost_real=None if real is None else D(real),
            created_at=day,
            claimed_at=day,
        )
    report = cost_report_get(workspace=workspace, now=NOW)
    total = report.total
    assert (total["prepaid"], total["real"]) == (D("0.030000"), D("0.087200"))
    assert (total["refunded"], total["extra"]) == (D("0.005400"), D("0.072600"))
    assert total["reserved"] == D("0.300000")
    models = {r["model"]: (r["tasks"], r["real"], r["engine"]) for r in report.models}
    assert models == {
        "claude-opus-4-1": (2, D("0.082600"), "claude"),
        "claude-sonnet-4-0": (1, D("0.004600"), "claude"),
    }
    # The budgets count real costs, and the reservation of the task in flight.
    assert report.month.counted == D("0.387200")
    assert report.month.reserved == D("0.300000")


def test_the_budgets_count_billed_tasks_only(workspace):
    """A claimed task the API refused, or one cancelled before its post, costs nothing."""
    from monitoring.selectors.budget import allowance_get, spend_totals_get
    from monitoring.selectors.periods import day_start

    now = timezone.now()
    for status in (TaskStatus.POSTED, TaskStatus.COLLECTED, TaskStatus.REJECTED):
        make_task(workspace=workspace, status=status, claimed_at=now, cost_prepaid=Decimal("0.01"))
    counted, reserved = spend_totals_get(since=day_start(now), workspace=workspace)
    assert counted == Decimal("0.02")
    assert reserved == Decimal("0.02")  # neither has a real cost yet
    allowance = allowance_get(now=now, workspace_ids=[workspace.pk])
    assert allowance.counted_month[workspace.pk] == Decimal("0.02")
    assert allowance.counted_today == Decimal("0.02")
