"""The API's endpoints as plain functions: request body in, (HTTP status, envelope) out.

Every rule and code comes from ``monitoring.aisa.contract``; this module only shapes answers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from monitoring.aisa import contract
from monitoring.aisa.contract import Endpoint

from . import answers
from .state import Task, TaskStore

VERSION = "0.1.20250724"
ONE_TASK_AT_A_TIME = 40000  # what live answers to a body with several tasks
PAID = (Endpoint.TASK_POST, Endpoint.LIVE)  # the calls the AIsa gateway bills
PRICE_HEADER = "X-AISA-Price-USD"  # what the AIsa gateway charged for the call


@dataclass
class Context:
    """What the endpoints need from the server."""

    store: TaskStore
    market: dict[str, Any]
    seed: Any = 0
    task_delay: float = 0.0
    task_delay_jitter: float = 0.0  # a task completes after task_delay + uniform(0, jitter)
    started: float = field(default_factory=time.perf_counter)


def elapsed(ctx: Context) -> str:
    return f"{time.perf_counter() - ctx.started:.4f} sec."


def base_data(family: str) -> dict[str, Any]:
    return {"api": "ai_optimization", "function": "llm_responses", "se": family}


def envelope(ctx: Context, code: int, tasks: list[dict] | None, message: str = "") -> tuple:
    """(HTTP status, body) of an answer; envelope-level failures carry ``tasks: null``."""
    http = contract.STATUS_CODES[code].http_status if code in contract.STATUS_CODES else 200
    body = {
        "version": VERSION,
        "status_code": code,
        "status_message": message or contract.status_message(code),
        "time": elapsed(ctx),
        "cost": sum((t["cost"] for t in tasks or []), Decimal(0)),
        "tasks_count": len(tasks or []),
        "tasks_error": sum(1 for t in tasks or [] if t["status_code"] >= 40000),
        "tasks": tasks,
    }
    return http, body


def price_header(envelope: Any) -> dict[str, str]:
    """The AIsa billing header of a paid call the endpoint processed: the envelope's cost
    (task_post: the created tasks' prepayments; live: the task's cost), e.g. ``"0.030000"``."""
    if not isinstance(envelope, dict) or envelope.get("status_code") != contract.OK:
        return {}
    return {PRICE_HEADER: f"{Decimal(envelope['cost']):.6f}"}


def task_entry(ctx, task_id, code, path, data, *, cost=Decimal(0), result=None, message=""):
    return {
        "id": task_id,
        "status_code": code,
        "status_message": message or contract.status_message(code),
        "time": elapsed(ctx),
        "cost": cost,
        "result_count": len(result or []),
        "path": contract.path_api_segments(path),
        "data": data,
        "result": result,
    }


def parse_tasks(body: bytes) -> Any:
    """The posted tasks as a list (a single object is accepted too), or None if not JSON."""
    try:
        tasks = json.loads(body or b"null")
    except ValueError:
        return None
    return [tasks] if isinstance(tasks, dict) else tasks


def _rejection(problems: list[contract.Problem]) -> tuple[int, str]:
    name = contract.first_invalid_field(problems)
    code = contract.INVALID_FIELD if name else problems[0].code
    return code, contract.status_message(code, name)


def _echo(family: str, raw: Any) -> dict[str, Any]:
    return {**base_data(family), **(contract.normalize_task(raw) if isinstance(raw, dict) else {})}


def _answer(ctx: Context, family: str, params: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """The result of a task and its delay (deterministic from the seed, prompt and sample)."""
    models = answers.MODELS[family]
    model = contract.resolve_model(params["model_name"], models)
    seed = (ctx.seed, family, ctx.store.next_sample(params["user_prompt"]))
    delay = ctx.task_delay
    if ctx.task_delay_jitter > 0:
        delay += answers.rng_for("delay", *seed, params["user_prompt"]).uniform(
            0, ctx.task_delay_jitter
        )
    return answers.generate(ctx.market, model, params, seed=seed, family=family), delay


#: ``poison(params, result)``: the result a task being created gets (``faults.poison_result``).
Poison = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


def task_post(
    ctx: Context,
    family: str,
    body: bytes,
    *,
    rate_limit_every: int = 0,
    poison: Poison | None = None,
) -> tuple:
    tasks = parse_tasks(body)
    problem = contract.validate_batch(tasks)
    if problem:
        return envelope(ctx, problem.code, None)
    path = contract.endpoint_path(Endpoint.TASK_POST, family=family)
    entries = []
    for i, raw in enumerate(tasks, start=1):
        task_id = ctx.store.new_id()
        if rate_limit_every and i % rate_limit_every == 0:
            entries.append(task_entry(ctx, task_id, contract.RATE_LIMIT, path, _echo(family, raw)))
            continue
        problems = contract.validate_task(raw, models=answers.MODELS[family], family=family)
        if problems:
            code, message = _rejection(problems)
            entries.append(
                task_entry(ctx, task_id, code, path, _echo(family, raw), message=message)
            )
            continue
        params = contract.normalize_task(raw)
        result, delay = _answer(ctx, family, params)
        if poison is not None:
            result = poison(params, result)
        task = Task(
            id=task_id,
            family=family,
            params=params,
            data=_echo(family, raw),
            result=result,
            posted_at=datetime.now(UTC),
            due=time.monotonic() + delay,
        )
        ctx.store.add(task)
        entries.append(
            task_entry(ctx, task_id, contract.TASK_CREATED, path, task.data, cost=task.cost)
        )
    return envelope(ctx, contract.OK, entries)


def result_envelope(ctx: Context, task: Task) -> tuple:
    """The task_get answer for a completed task (also the body of its postback)."""
    path = contract.endpoint_path(Endpoint.TASK_GET, family=task.family, task_id=task.id)
    entry = task_entry(ctx, task.id, contract.OK, path, task.data, result=[dict(task.result)])
    return envelope(ctx, contract.OK, [entry])


def task_get(ctx: Context, family: str, task_id: str) -> tuple:
    task = ctx.store.get(task_id)
    path = contract.endpoint_path(Endpoint.TASK_GET, family=family, task_id=task_id)
    if task is None or task.family != family:
        entry = task_entry(ctx, task_id, contract.TASK_NOT_FOUND, path, base_data(family))
        return envelope(ctx, contract.OK, [entry])
    if not task.done:
        entry = task_entry(ctx, task_id, contract.TASK_IN_QUEUE, path, task.data)
        return envelope(ctx, contract.OK, [entry])
    ctx.store.collect(task)
    return result_envelope(ctx, task)


def tasks_ready(ctx: Context, family: str) -> tuple:
    items = [
        {
            "id": t.id,
            "se": family,
            "se_type": "llm_responses",
            "date_posted": contract.dt_string(t.posted_at),
            "tag": t.tag,
            "endpoint": "/v3"
            + contract.endpoint_path(Endpoint.TASK_GET, family=family, task_id=t.id),
        }
        for t in ctx.store.ready(family, contract.TASKS_READY_MAX_IDS)
    ]
    path = contract.endpoint_path(Endpoint.TASKS_READY, family=family)
    entry = task_entry(ctx, ctx.store.new_id(), contract.OK, path, base_data(family), result=items)
    return envelope(ctx, contract.OK, [entry])


def models(ctx: Context, family: str) -> tuple:
    items = [
        {
            "model_name": m.model_name,
            "web_search_supported": m.web_search_supported,
            "task_post_supported": m.task_post_supported,
            "reasoning": m.reasoning,
        }
        for m in answers.MODELS[family].values()
    ]
    path = contract.endpoint_path(Endpoint.MODELS, family=family)
    entry = task_entry(ctx, ctx.store.new_id(), contract.OK, path, base_data(family), result=items)
    return envelope(ctx, contract.OK, [entry])


def live(ctx: Context, family: str, body: bytes) -> tuple:
    tasks = parse_tasks(body)
    problem = contract.validate_batch(tasks)
    if problem:
        return envelope(ctx, problem.code, None)
    if len(tasks) > 1:
        return envelope(ctx, ONE_TASK_AT_A_TIME, None, "You can set only one task at a time.")
    raw, task_id = tasks[0], ctx.store.new_id()
    path = contract.endpoint_path(Endpoint.LIVE, family=family)
    problems = contract.validate_task(raw, models=answers.MODELS[family], live=True, family=family)
    if problems:
        code, message = _rejection(problems)
        entry = task_entry(ctx, task_id, code, path, _echo(family, raw), message=message)
        return envelope(ctx, contract.OK, [entry])
    params = contract.normalize_task(raw)
    result, _ = _answer(ctx, family, params)
    result["datetime"] = contract.dt_string(datetime.now(UTC))
    ctx.store.record_live(params.get("tag") or "")
    cost = contract.LIVE_BASE_PRICE_USD + result["money_spent"]
    entry = task_entry(
        ctx, task_id, contract.OK, path, _echo(family, raw), cost=cost, result=[result]
    )
    return envelope(ctx, contract.OK, [entry])


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _id_list_query(raw: Any) -> tuple[dict[str, Any] | None, str]:
    """The id_list parameters, or the name of the first invalid one."""
    if not isinstance(raw, dict):
        return None, ""
    query = {}
    for name in ("datetime_from", "datetime_to"):
        try:
            query[name] = contract.parse_dt_string(raw.get(name))
        except (TypeError, ValueError):
            query[name] = None
        if query[name] is None:
            return None, name
    query["limit"] = raw.get("limit", contract.ID_LIST_MAX_LIMIT)
    query["offset"] = raw.get("offset", 0)
    query["sort"] = raw.get("sort", "asc")
    query["include_metadata"] = raw.get("include_metadata", False)
    checks = {
        "limit": _whole(query["limit"]) and 1 <= query["limit"] <= contract.ID_LIST_MAX_LIMIT,
        "offset": _whole(query["offset"]) and query["offset"] >= 0,
        "sort": query["sort"] in ("asc", "desc"),
        "include_metadata": isinstance(query["include_metadata"], bool),
    }
    bad = next((name for name, ok in checks.items() if not ok), "")
    return (None, bad) if bad else (query, "")


def id_list(ctx: Context, body: bytes) -> tuple:
    tasks = parse_tasks(body)
    if not isinstance(tasks, list) or len(tasks) != 1:
        return envelope(ctx, contract.POST_DATA_INVALID, None)
    path = contract.endpoint_path(Endpoint.ID_LIST)
    query, bad = _id_list_query(tasks[0])
    if query is None:
        code = contract.INVALID_FIELD if bad else contract.POST_DATA_INVALID
        message = contract.status_message(code, bad)
        entry = task_entry(ctx, ctx.store.new_id(), code, path, {}, message=message)
        return envelope(ctx, contract.OK, [entry])
    found = ctx.store.posted_between(query["datetime_from"], query["datetime_to"])
    found.sort(key=lambda t: t.posted_at, reverse=query["sort"] == "desc")
    items = [
        {
            "id": t.id,
            "url": "/".join(
                contract.path_api_segments(
                    contract.endpoint_path(Endpoint.TASK_POST, family=t.family)
                )
            ),
            "datetime_posted": contract.dt_string(t.posted_at),
            "datetime_done": contract.dt_string(t.done_at) if t.done_at else None,
            "status": str(contract.OK if t.done else contract.TASK_IN_QUEUE),
            "cost": t.cost,
            "metadata": dict(t.data) if query["include_metadata"] else None,
        }
        for t in found[query["offset"] : query["offset"] + query["limit"]]
    ]
    entry = task_entry(ctx, ctx.store.new_id(), contract.OK, path, dict(tasks[0]), result=items)
    return envelope(ctx, contract.OK, [entry])
