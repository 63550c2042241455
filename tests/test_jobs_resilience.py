"""Background jobs on a busy database: retried, chunked, coalesced; failures shown and retried."""

from __future__ import annotations

import inspect
import pydoc
import threading
import time
import traceback
from datetime import timedelta

import psycopg
import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.humanhash import uuid
from django_q.models import Failure
from django_q.monitor import save_task

from monitoring import jobs, services
from monitoring.models import Answer, Brand, Heartbeat, Mention, TaskStatus
from monitoring.services import analysis
from monitoring.services import brands as brand_services
from monitoring.services.jobs import RetryPolicy, database_busy, retry_when_busy
from tests.factories import make_answer, make_brand, make_prompt, make_tasks, queued_jobs
from tests.pipeline.conftest import _run_workers

REANALYZE = "monitoring.jobs.workspace_reanalyze"


@pytest.fixture
def sleeps(monkeypatch):
    """The backoffs the retry decorator waited, without waiting them."""
    waited: list[float] = []
    monkeypatch.setattr("monitoring.services.jobs._sleep", waited.append)
    return waited


# --- Re-analysis on a busy SQLite database (threads, each with its own connection) ---------


def _history(workspace, count: int) -> None:
    """``count`` answers naming all five brands, and Zeta, inserted at once."""
    prompt = make_prompt(workspace=workspace)
    tasks = make_tasks(count=count, prompt=prompt, status=TaskStatus.COLLECTED)
    Answer.objects.bulk_create(
        Answer(
            task=task,
            workspace=workspace,
            prompt=prompt,
            text=f"Acme, Beta, Gamma, Delta and Epsilon compared (#{i}). Zeta too.",
            model_name="m",
            answered_at=timezone.now(),
            raw={},
        )
        for i, task in enumerate(tasks)
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_reanalysis_jobs_survive_a_busy_database(workspace, other_workspace, empty_job_queue):
    """One brand edited and four deleted in a row queue five re-analyses; two workers run
    them while a third connection keeps writing. None fails, one full pass is enough, and
    the history ends analysed with the final brands."""
    count = 1200  # more than a chunk of the old loop, whose open cursor made it fail
    brands = {
        name: make_brand(workspace=workspace, name=name, kind=kind)
        for name, kind in [
            ("Acme", "own"),
            ("Beta", "competitor"),
            ("Gamma", "competitor"),
            ("Delta", "competitor"),
            ("Epsilon", "competitor"),
        ]
    }
    elsewhere = make_brand(workspace=other_workspace, name="Other")
    _history(workspace, count)
    acme = brands["Acme"]
    brand_services.brand_update(brand=acme, name="Acme", kind="own", aliases=["Zeta"], domains=[])
    for name in ("Beta", "Gamma", "Delta", "Epsilon"):
        brand_services.brand_delete(brand=brands[name])
    queue = queued_jobs()
    assert queue == [(REANALYZE, (workspace.pk,))] * 5

    lock, busy, results, failures, writes = threading.Lock(), threading.Event(), [], [], [0]
    busy.set()

    def work(i: int) -> None:
        if i == 0:  # the writer: heartbeats and another workspace's brand edits
            while busy.is_set():
                services.heartbeat_touch()
                brand_services.brand_update(
                    brand=Brand.objects.get(pk=elsewhere.pk),
                    name="Other",
                    kind="competitor",
                    aliases=[f"o{writes[0]}"],
                    domains=[],
                )
                writes[0] += 1
                time.sleep(0.002)
            return
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    _, args = queue.pop()
                try:
                    results.append(jobs.workspace_reanalyze(*args))
                except Exception as exc:  # what django-q would record as a failure
                    failures.append(f"{exc.__class__.__name__}: {exc}")
        finally:
            if i == 1:
                busy.clear()  # (worker 2 may still run; the writer stops with the first)

    started = time.monotonic()
    _run_workers(work, n=3)
    elapsed = time.monotonic() - started

    print(f"\n{len(results)} jobs ran, {len(failures)} failed, counts {sorted(results)}, "
          f"{writes[0]} writes alongside, {elapsed:.1f} s")  # fmt: skip
    assert failures == []
    assert writes[0] > 0
    assert max(results) == count  # one full pass at least
    assert set(results) <= {0, count}
    assert results.count(count) <= 2
    mentions = Mention.objects.filter(workspace=workspace)
    assert mentions.count() == count
    assert set(mentions.values_list("brand_id", "count")) == {(acme.pk, 2)}  # Acme + Zeta
    assert not Answer.objects.filter(workspace=workspace, analyzed_at__isnull=True).exists()


# --- Chunking, coalescing and superseding, step by step -------------------------------------


@pytest.fixture
def history(workspace):
    acme = make_brand(workspace=workspace, name="Acme", kind="own")
    beta = make_brand(workspace=workspace, name="Beta")
    answers = [make_answer(workspace=workspace, text=f"Acme then Beta ({i}).") for i in range(5)]
    return {"acme": acme, "beta": beta, "answers": answers}


def test_queued_reanalyses_after_one_change_do_the_work_once(workspace, history):
    brand_services.brand_update(
        brand=history["acme"], name="Acme", kind="own", aliases=["Zeta"], domains=[]
    )
    assert analysis.workspace_reanalyze(workspace=workspace, chunk_size=2) == 5
    assert analysis.workspace_reanalyze(workspace=workspace, chunk_size=2) == 0  # coalesced
    late = make_answer(workspace=workspace, text="Zeta.", analyze=False)  # analysis failed
    assert analysis.workspace_reanalyze(workspace=workspace) == 1  # only that one
    assert late.mentions.get().brand == history["acme"]
    brand_services.brand_delete(brand=history["beta"])  # a new change: a full pass again
    assert analysis.workspace_reanalyze(workspace=workspace) == 6
    assert set(Mention.objects.values_list("brand__name", flat=True)) == {"Acme"}


def test_the_chunks_store_values_as_the_orm_would(workspace, history):
    """The chunk's statements are written by hand (prepared by the fields): JSON stays JSON,
    times stay times, on either database."""
    before = timezone.now()
    analysis.reanalysis_request(workspace_id=workspace.pk)
    make_answer(workspace=workspace, text="Acme vs Freshsales.", citations=["https://acme.com/a"])
    assert analysis.workspace_reanalyze(workspace=workspace) == 6
    answer = Answer.objects.get(text="Acme vs Freshsales.")
    assert answer.untracked_names == ["Freshsales"]
    assert answer.analyzed_at >= before
    assert answer.is_informative is True
    mention = answer.mentions.get()
    assert mention.spans == [[0, 4, "Acme"]]
    assert Answer.objects.filter(untracked_names__0="Freshsales").count() == 1  # JSON, queryable


def test_a_reanalysis_stops_when_the_brands_change_under_it(workspace, history, monkeypatch):
    """A brand deleted between two chunks: the run stops before writing mentions of it (no
    integrity error), and the run that deletion queued finishes the work."""
    compute, chunks = analysis._analysis_compute, []

    def compute_then_delete(answer, brands):
        if answer.pk == history["answers"][2].pk:  # the second chunk
            brand_services.brand_delete(brand=history["beta"])
        chunks.append(answer.pk)
        return compute(answer, brands)

    acme = history["acme"]
    brand_services.brand_update(brand=acme, name="Acme", kind="own", aliases=[], domains=[])
    monkeypatch.setattr(analysis, "_analysis_compute", compute_then_delete)
    assert analysis.workspace_reanalyze(workspace=workspace, chunk_size=2) == 2  # superseded
    monkeypatch.setattr(analysis, "_analysis_compute", compute)
    assert analysis.workspace_reanalyze(workspace=workspace, chunk_size=2) == 5
    assert set(Mention.objects.values_list("brand__name", flat=True)) == {"Acme"}
    assert analysis.workspace_reanalyze(workspace=workspace, chunk_size=2) == 0


def test_each_chunk_is_written_in_its_own_transaction(workspace, history, monkeypatch):
    write, written = analysis._writes_apply, []

    def record(writes):
        written.append((len(writes.answers), connection.in_atomic_block))
        return write(writes)

    monkeypatch.setattr(analysis, "_writes_apply", record)
    analysis.reanalysis_request(workspace_id=workspace.pk)
    assert analysis.workspace_reanalyze(workspace=workspace, chunk_size=2) == 5
    assert written == [(2, True), (2, True), (1, True)]


def test_a_chunk_takes_as_many_statements_however_many_answers_it_has(workspace, history):
    def statements(chunk_size: int) -> int:
        analysis.reanalysis_request(workspace_id=workspace.pk)
        with CaptureQueriesContext(connection) as queries:
            analysis.workspace_reanalyze(workspace=workspace, chunk_size=chunk_size)
        return len(queries)

    statements(5)  # (the first run also makes the "done" marker)
    five = statements(5)
    for i in range(5):
        make_answer(
            workspace=workspace,
            text=f"Beta, https://acme.com ({i})",
            citations=["https://acme.com/x"],
        )
    assert statements(10) == five


# --- The retry decorator ---------------------------------------------------------------------


def _failing(errors, result="done"):
    calls = []

    @retry_when_busy(RetryPolicy(attempts=4, base_delay=0.1, max_delay=0.3))
    def job(x):
        calls.append(x)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return result

    return job, calls


def _wrapped(outer: type[Exception], cause: Exception) -> Exception:
    """A driver's error as Django raises it: wrapped, the original as ``__cause__``."""
    try:
        raise outer(str(cause)) from cause
    except outer as exc:
        return exc


def test_it_retries_database_is_locked_with_a_bounded_jittered_backoff(sleeps):
    job, calls = _failing([OperationalError("database is locked")] * 2)
    assert job(7) == "done"
    assert calls == [7, 7, 7]
    assert len(sleeps) == 2
    assert 0.05 <= sleeps[0] <= 0.1
    assert 0.1 <= sleeps[1] <= 0.2


def test_it_gives_up_after_its_attempts_and_raises_the_last_error(sleeps):
    job, calls = _failing([OperationalError("database is locked")] * 10)
    with pytest.raises(OperationalError, match="database is locked"):
        job(1)
    assert len(calls) == 4
    assert len(sleeps) == 3
    assert max(sleeps) <= 0.3


@pytest.mark.parametrize(
    "error",
    [
        ValueError("database is locked"),  # not a database error
        IntegrityError("UNIQUE constraint failed: monitoring_mention.answer_id"),
        OperationalError("no such table: monitoring_answer"),
        _wrapped(OperationalError, psycopg.errors.UndefinedTable("relation does not exist")),
    ],
)
def test_it_does_not_retry_other_errors(sleeps, error):
    job, calls = _failing([error])
    with pytest.raises(type(error)):
        job(1)
    assert calls == [1]
    assert sleeps == []


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(OperationalError, psycopg.errors.SerializationFailure("could not serialize")),
        _wrapped(OperationalError, psycopg.errors.DeadlockDetected("deadlock detected")),
        psycopg.errors.SerializationFailure("raised by the driver itself"),
        OperationalError("database table is locked"),
    ],
)
def test_it_retries_serialization_failures_and_deadlocks(sleeps, error):
    assert database_busy(error)
    job, calls = _failing([error])
    assert job(1) == "done"
    assert len(calls) == 2


def test_it_stops_retrying_at_its_deadline(sleeps):
    calls = []

    @retry_when_busy(RetryPolicy(attempts=10, base_delay=1, deadline=0.5))
    def job():
        calls.append(1)
        raise OperationalError("database is locked")

    with pytest.raises(OperationalError):
        job()
    assert calls == [1]


@pytest.mark.django_db
def test_it_does_not_retry_inside_someone_elses_transaction(sleeps):
    job, calls = _failing([OperationalError("database is locked")])
    with transaction.atomic(), pytest.raises(OperationalError):
        job(1)
    assert calls == [1]


def test_every_job_retries_a_busy_database(sleeps, monkeypatch):
    defined = [
        f for _, f in inspect.getmembers(jobs, inspect.isfunction) if f.__module__ == jobs.__name__
    ]
    assert len(defined) >= 7
    assert all(hasattr(f, "retry_policy") for f in defined), [f.__name__ for f in defined]

    touched = []

    def touch():
        touched.append(1)
        if len(touched) == 1:
            raise OperationalError("database is locked")

    monkeypatch.setattr(services, "heartbeat_touch", touch)
    jobs.heartbeat()
    assert len(touched) == 2
    assert len(sleeps) == 1


# --- Failed jobs: counted on /healthz, shown to owners, retried by them ---------------------


def _run_as_worker(func: str, *args, error: Exception | None = None):
    """Run a job as a django-q2 worker does and store its outcome as the worker does (a
    failure's result is "<error> : <traceback>"); ``error`` makes the job raise it."""
    name, task_id = uuid()
    task = {"id": task_id, "name": name, "func": func, "args": args, "kwargs": {}}
    task["started"] = timezone.now()
    try:
        if error is not None:
            raise error
        task["result"], task["success"] = (pydoc.locate(func)(*args), True)
    except Exception as exc:
        task["result"], task["success"] = (f"{exc} : {traceback.format_exc()}", False)
    task["stopped"] = timezone.now()
    task["sync"] = True  # (keeps django-q from closing the test's connection)
    save_task(task, get_broker())
    return task_id


@pytest.fixture
def failed(workspace, empty_job_queue, settings):
    """A re-analysis of ``workspace`` that failed, its message carrying two secrets."""
    settings.AISA_API_KEY = "sk-aisa-test-key"
    error = OperationalError(
        "database is locked (while reaching postgres://aisa:hunter22@db/aisa "
        f"with {settings.AISA_API_KEY})"
    )
    return _run_as_worker(REANALYZE, workspace.pk, error=error)


def test_healthz_counts_failed_jobs_without_saying_what_failed(admin_client, failed, workspace):
    _run_as_worker("monitoring.jobs.pipeline_tick", error=RuntimeError("API down"))
    Failure.objects.create(
        id="old",
        name="old",
        func=REANALYZE,
        args=(workspace.pk,),
        started=timezone.now() - timedelta(days=2),
        stopped=timezone.now() - timedelta(days=2),
        success=False,
        result="long ago",
    )
    response = admin_client.get(reverse("healthz"))
    assert response.json()["jobs"] == {"failed_24h": 2}
    text = response.content.decode()
    assert "locked" not in text
    assert "API down" not in text
    assert REANALYZE not in text


def test_owners_see_their_workspaces_failed_jobs_with_short_safe_errors(
    owner_client, failed, workspace, other_workspace
):
    _run_as_worker(REANALYZE, other_workspace.pk, error=RuntimeError("the other one"))
    _run_as_worker("monitoring.jobs.pipeline_post", error=RuntimeError("pipeline-wide"))
    page = owner_client.get(reverse("failed_jobs", args=[workspace.pk])).content.decode()
    assert page.count('data-testid="failed-job"') == 1
    assert "Re-analysis of the answers" in page
    assert "database is locked" in page
    for hidden in ("hunter22", "sk-aisa-test-key", "Traceback", "the other one", "pipeline-wide"):
        assert hidden not in page
    settings_page = owner_client.get(reverse("workspace_settings", args=[workspace.pk]))
    assert 'data-testid="failed-jobs-notice"' in settings_page.content.decode()


def test_pipeline_wide_failures_are_left_to_administrators(owner_client, owner, workspace):
    _run_as_worker("monitoring.jobs.pipeline_tick", error=RuntimeError("API down"))
    url = reverse("failed_jobs", args=[workspace.pk])
    page = owner_client.get(url).content.decode()
    assert 'data-testid="no-failed-jobs"' in page
    assert reverse("admin:django_q_failure_changelist") not in page
    owner.is_staff = True
    owner.save(update_fields=["is_staff"])
    assert reverse("admin:django_q_failure_changelist") in owner_client.get(url).content.decode()


def test_a_later_successful_run_clears_the_failure(owner_client, failed, workspace):
    _run_as_worker(REANALYZE, workspace.pk)
    page = owner_client.get(reverse("failed_jobs", args=[workspace.pk])).content.decode()
    assert 'data-testid="no-failed-jobs"' in page


@pytest.mark.parametrize("member", ["viewer_client", "editor_client"])
def test_only_owners_see_or_retry_failed_jobs(request, member, failed, workspace):
    client = request.getfixturevalue(member)
    assert client.get(reverse("failed_jobs", args=[workspace.pk])).status_code == 403
    response = client.post(reverse("failed_job_retry", args=[workspace.pk, failed]))
    assert response.status_code == 403
    assert Failure.objects.filter(pk=failed).exists()
    assert queued_jobs() == []
    settings_page = client.get(reverse("workspace_settings", args=[workspace.pk]))
    assert "failed-jobs-notice" not in settings_page.content.decode()


def test_an_owners_retry_queues_the_job_again_once(
    owner_client, failed, workspace, django_capture_on_commit_callbacks
):
    url = reverse("failed_job_retry", args=[workspace.pk, failed])
    assert owner_client.get(url).status_code == 405  # a POST only
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(url, follow=True)
    assert "Queued again" in response.content.decode()
    assert not Failure.objects.filter(pk=failed).exists()
    assert queued_jobs() == [(REANALYZE, (workspace.pk,))]
    assert Heartbeat.objects.filter(name=f"reanalysis-wanted:{workspace.pk}").exists()

    with django_capture_on_commit_callbacks(execute=True):
        again = owner_client.post(url, follow=True)  # a second click queues nothing
    assert "no longer failed" in again.content.decode()
    assert queued_jobs() == []


def test_an_owner_cannot_retry_another_workspaces_job(
    owner_client, workspace, other_workspace, empty_job_queue, django_capture_on_commit_callbacks
):
    theirs = _run_as_worker(REANALYZE, other_workspace.pk, error=RuntimeError("x"))
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("failed_job_retry", args=[workspace.pk, theirs]))
    assert Failure.objects.filter(pk=theirs).exists()
    assert queued_jobs() == []
    assert owner_client.get(reverse("failed_jobs", args=[other_workspace.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_job_that_stays_locked_fails_after_its_retries_and_is_shown(
    owner_client, workspace, empty_job_queue, monkeypatch, sleeps
):
    """The job itself, outside any transaction as in a worker: five runs, then a failure."""
    runs = []

    def locked(**kwargs):
        runs.append(kwargs["workspace"].pk)
        raise OperationalError("database is locked")

    monkeypatch.setattr(jobs, "reanalyze", locked)
    task_id = _run_as_worker(REANALYZE, workspace.pk)
    assert runs == [workspace.pk] * 5
    assert len(sleeps) == 4
    assert Failure.objects.get(pk=task_id).func == REANALYZE
    page = owner_client.get(reverse("failed_jobs", args=[workspace.pk])).content.decode()
    assert page.count('data-testid="failed-job"') == 1
    assert "database is locked" in page
