"""The task store's indexes, the answer matcher's cache and deterministic delay jitter."""

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.aisa import contract
from sandbox import answers, endpoints
from sandbox.answers import find_category, load_market
from sandbox.state import Task, TaskStore
from tests.factories import sandbox_task


class NoScan(dict):
    """A tasks dict that fails the test if anything walks over every task."""

    def values(self):
        raise AssertionError("scanned every stored task")

    def items(self):
        raise AssertionError("scanned every stored task")

    def __iter__(self):
        raise AssertionError("scanned every stored task")


def make(store: TaskStore, *, delay: float = 0.0, family: str = "claude", **params) -> Task:
    task = Task(
        id=store.new_id(),
        family=family,
        params=params,
        data={},
        result={},
        posted_at=datetime.now(UTC),
        due=time.monotonic() + delay,
    )
    store.add(task)
    return task


def post(ctx: endpoints.Context, n: int) -> list[Task]:
    body = json.dumps([sandbox_task(user_prompt=f"Best CRM for team {i}?") for i in range(n)])
    _, envelope = endpoints.task_post(ctx, "claude", body.encode())
    return [ctx.store.tasks[t["id"]] for t in envelope["tasks"]]


def test_the_store_never_scans_every_task():
    store = TaskStore()
    store.tasks = NoScan()
    waiting = [make(store, delay=60, tag=f"w{i}") for i in range(50)]
    done = [make(store, tag=f"d{i}", pingback_url="http://127.0.0.1:9/") for i in range(5)]
    assert store.ready("claude", 1000) == done
    assert store.take_due_webhooks() == done
    start = waiting[0].posted_at.replace(microsecond=0)  # the first posted, to the second
    assert len(store.posted_between(start, start + timedelta(hours=1))) == 55
    assert store.received()["pending"] == 50
    assert store.pending == 50
    store.complete_all()
    assert store.ready("claude", 1000)[:2] == waiting[:2]  # oldest posted first


def test_ready_lists_oldest_posted_first_and_forgets_collected_tasks():
    store = TaskStore()
    late = make(store, delay=0.2)
    early = make(store)
    other = make(store, family="gemini")
    assert store.ready("claude", 10) == [early]
    time.sleep(0.25)
    assert store.ready("claude", 10) == [late, early]  # by posting, not completion
    assert store.ready("claude", 1) == [late]
    store.collect(late)
    assert store.ready("claude", 10) == [early]
    assert store.ready("gemini", 10) == [other]


def test_webhooks_are_due_once_when_their_task_completes():
    store = TaskStore()
    task = make(store, delay=0.1, postback_url="http://127.0.0.1:9/")
    make(store)  # no webhooks
    assert store.take_due_webhooks() == []
    time.sleep(0.15)
    assert store.take_due_webhooks() == [task]
    assert store.take_due_webhooks() == []


def test_posted_between_is_inclusive_to_the_second():
    store = TaskStore()
    tasks = [make(store) for _ in range(3)]
    second = tasks[0].posted_at.replace(microsecond=0)
    assert store.posted_between(second, second + timedelta(seconds=5))[0] is tasks[0]
    assert store.posted_between(second - timedelta(seconds=5), second - timedelta(seconds=1)) == []


def test_reset_empties_every_index():
    store = TaskStore()
    make(store, delay=60)
    make(store, pingback_url="http://127.0.0.1:9/")
    store.reset()
    assert store.pending == 0
    assert store.ready("claude", 10) == []
    assert store.take_due_webhooks() == []
    now = datetime.now(UTC)
    assert store.posted_between(now - timedelta(days=1), now + timedelta(days=1)) == []


def slow_find_category(market, prompt):
    """The original implementation, for comparison."""
    text, best, best_hits = prompt.lower(), None, 0
    for category in market["categories"]:
        terms = [*category["keywords"]]
        for brand in category["brands"]:
            terms += [brand["name"], *brand["aliases"]]
        hits = sum(1 for t in terms if re.search(rf"(?<!\w){re.escape(t.lower())}(?!\w)", text))
        if hits > best_hits:
            best, best_hits = category, hits
    return best


def test_the_cached_matcher_finds_what_the_slow_one_found():
    market = load_market()
    terms = [
        t for c in market["categories"] for b in c["brands"] for t in [b["name"], *b["aliases"]]
    ] + [k for c in market["categories"] for k in c["keywords"]]
    prompts = [f"Is {a} better than {b}?" for a, b in zip(terms, reversed(terms), strict=True)]
    prompts += [f"x{t}y or {t}s?" for t in terms] + ["How do I bake bread?", ""]
    for prompt in prompts:
        assert find_category(market, prompt) is slow_find_category(market, prompt), prompt


def test_a_market_is_compiled_once():
    market = load_market()
    assert answers._matchers(market) is answers._matchers(market)
    assert answers._matchers(load_market()) is not answers._matchers(market)


def jittered_delays(seed, jitter: float) -> list[float]:
    ctx = endpoints.Context(TaskStore(), load_market(), seed, 5.0, jitter)
    before = time.monotonic()
    return [t.due - before for t in post(ctx, 8)]


def test_jitter_is_between_zero_and_its_bound_and_fixed_by_the_seed():
    first, again, other = (jittered_delays(s, 100.0) for s in (1, 1, 2))
    assert all(5.0 <= d <= 105.5 for d in first)
    assert len({round(d) for d in first}) > 1
    assert first == pytest.approx(again, abs=0.5)
    assert first != pytest.approx(other, abs=0.5)
    assert jittered_delays(1, 0.0) == pytest.approx([5.0] * 8, abs=0.5)


def test_the_server_applies_its_jitter(sandbox, api):
    sandbox.task_delay, sandbox.task_delay_jitter = 0.0, 60.0
    (task_id,) = api.task_ids(sandbox_task())
    task = api.get("task_get", task_id).json()["tasks"][0]
    assert task["status_code"] == contract.TASK_IN_QUEUE  # seed 0 draws well above 0 s
    assert 0 < sandbox.tasks[task_id].due - time.monotonic() <= 60.0
    sandbox.reset()
    assert sandbox.task_delay_jitter == 0.0
