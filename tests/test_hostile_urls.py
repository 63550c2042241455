"""Every URL, as every role, given hostile query strings and bodies: never a 500.

The URLs come from the resolver, so a new one is covered as soon as it exists. Its path
arguments are real ids of the seeded workspace (``<x>_id`` names a row of model x), ids of
another workspace and ids no column holds. Query strings and bodies mix the field names of
every form and admin list with values people and robots send: huge and negative numbers,
impossible dates, NUL and other control characters, very long text, repeated keys. Django's
admin is Django's: only its login, index and our models' lists (plus a sample of change
pages) are walked.

The data is seeded once for the module; each request runs in a savepoint rolled back after
it, so every example starts from the same rows.
"""

from __future__ import annotations

import json
import logging
import pkgutil
import re
import traceback
from contextlib import suppress
from copy import deepcopy
from datetime import date
from html.parser import HTMLParser
from importlib import import_module
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, URLResolver, get_resolver, resolve
from django.utils import timezone
from django_q.humanhash import uuid
from django_q.models import Failure
from hypothesis import given, settings
from hypothesis import strategies as st

import monitoring.forms
from monitoring.models import LlmModel, Monitor, Workspace
from monitoring.selectors.export import EXPORTS
from monitoring.selectors.onboarding import STEP_KEYS
from monitoring.services.invitations import invitation_create
from monitoring.services.webhooks import webhook_token
from tests.factories import make_answer, make_brand, make_prompt, make_task, make_user

pytestmark = pytest.mark.django_db  # also what makes pytest-django create the test database

ROLES = ("anonymous", "viewer", "editor", "owner", "superuser")
#: Of Django's admin: its front door and our models' lists, plus a sample of change pages.
ADMIN_KEPT = {"admin:index", "admin:login", "admin:monitoring_membership_add"}
ADMIN_KEPT |= {"admin:monitoring_prompt_change", "admin:monitoring_monitor_change"}
ADMIN_LIST = re.compile(r"admin:monitoring_\w+_changelist")
EXAMPLES_PER_URL_AND_ROLE = 6

HUGE_IDS = ["99999999999999999999", str(2**63), str(2**31), "0", "-1", "00000000000000000001"]
HOSTILE_SEGMENTS = ["\x00", "é" * 3, "x" * 300, "..", "%", " "]


# --- The URLs --------------------------------------------------------------------------------


def _routes(resolver=None, prefix="", namespace=""):
    """(name, route) of every pattern, its converters left in: ``w/<id:workspace_id>/``."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            yield from _routes(entry, prefix + str(entry.pattern), inner)
        else:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, prefix + str(entry.pattern)


def _walked(name: str) -> bool:
    if name and name.startswith("admin:"):
        return name in ADMIN_KEPT or bool(ADMIN_LIST.fullmatch(name))
    return True


ROUTES = sorted({(name or route, route) for name, route in _routes() if _walked(name)})
CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<parameter>\w+)>")


# --- The vocabulary of keys and values -------------------------------------------------------


def _form_classes():
    for module in pkgutil.iter_modules(monitoring.forms.__path__):
        loaded = import_module(f"monitoring.forms.{module.name}")
        for value in vars(loaded).values():
            if isinstance(value, type) and issubclass(value, forms.BaseForm):
                yield value


def _kind(field: forms.Field) -> str:
    """What a field parses: hostile values of that kind are drawn more often for it."""
    if isinstance(field, forms.DateField):
        return "date"
    numeric = (forms.IntegerField, forms.FloatField, forms.DecimalField, forms.ModelChoiceField)
    if isinstance(field, numeric) or getattr(field, "coerce", None) is int:
        return "number"
    return "text"


def _form_vocabulary() -> tuple[dict[str, str], set[str]]:
    """Every field name of our forms with its kind, and every value of their fixed choices."""
    kinds: dict[str, str] = {}
    choices: set[str] = set()
    for form in _form_classes():
        for name, field in form.base_fields.items():
            kinds.setdefault(name, _kind(field))
            if isinstance(field, forms.ChoiceField) and not isinstance(
                field, forms.ModelChoiceField
            ):
                choices.update(str(value) for value, _ in field.choices if isinstance(value, str))
    return kinds, choices


def _admin_keys() -> dict[str, str]:
    """What our admin lists read from a query string: their filters and date drill-downs."""
    keys = dict.fromkeys(["q", "o", "e", "all", "_facets", "_to_field", "_popup"], "text")
    keys |= dict.fromkeys(["action", "_changelist_filters", "select_across", "post"], "text")
    keys |= dict.fromkeys(["p", "index", "_selected_action"], "number")
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "monitoring":
            continue
        for entry in model_admin.list_filter:
            name = entry[0] if isinstance(entry, tuple | list) else entry
            if isinstance(name, str):
                keys |= {name: "number", f"{name}__exact": "text", f"{name}__isnull": "text"}
                keys[f"{name}__id__exact"] = "number"
        if model_admin.date_hierarchy:
            for part in ("year", "month", "day"):
                keys[f"{model_admin.date_hierarchy}__{part}"] = "number"
    return keys


FORM_KINDS, CHOICE_VALUES = _form_vocabulary()
PAGE_KEYS = dict.fromkeys(["action", "chain_action", "active", "intent", "next"], "text")
PAGE_KEYS |= dict.fromkeys(["page", "id", "chain-0-role", "chain-0-message"], "text")
KINDS = {**PAGE_KEYS, **_admin_keys(), **FORM_KINDS}
KEYS = sorted(KINDS)

TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)  # NUL included
NUMBERS = st.one_of(
    st.integers(-(10**25), 10**25).map(str),
    st.integers(10**19, 10**20 - 1).map(str),  # 20 digits
    st.sampled_from(HUGE_IDS + ["nan", "inf", "-inf", "1e400", "-0", "0x10", "1_0", "٣", "²"]),
)
#: Dates the period arithmetic cannot take, and dates that are no dates (st.dates() too).
DATES = st.sampled_from(["9999-12-31", "0001-01-01", "2024-02-30", "10000-01-01"])
LONG = st.sampled_from(["x" * 10_000, "9" * 5_000, "é" * 20_000, "\x00" * 1_000])
SHORT = st.sampled_from(["", " ", "\t", "on", "off", "1", "true", "[]", "null", "\x00"])
ANY = st.one_of(
    NUMBERS,
    DATES,
    st.dates().map(date.isoformat),
    TEXT,
    SHORT,
    LONG,
    st.sampled_from(sorted(CHOICE_VALUES)),
)
BY_KIND = {"date": DATES, "number": NUMBERS, "text": TEXT | LONG}


def _value(name: str, real_ids: list[str]):
    """A value for a key, mostly of its kind (ids of real rows among the numbers)."""
    kind = KINDS.get(name, "text")
    own = BY_KIND[kind] | st.sampled_from(real_ids) if kind == "number" else BY_KIND[kind]
    return st.one_of(own, own, ANY)


@st.composite
def _pairs(draw, keys: list[str], real_ids: list[str]) -> list[tuple[str, str]]:
    """(key, value) pairs: the keys the URL's own pages send, each absent, any value or the
    example's one hostile value of its kind (so that one example tries, say, 9999-12-31 in
    every date at once); then a few keys again or others, with one to three values each (a
    repeated key is how a list is sent)."""
    theme = {kind: draw(strategy) for kind, strategy in BY_KIND.items()}
    theme["number"] = draw(NUMBERS | st.sampled_from(real_ids))
    pairs = []
    for key in keys:
        choice = draw(st.sampled_from(["theme", "any", "absent"]))
        if choice != "absent":
            value = theme[KINDS.get(key, "text")] if choice == "theme" else None
            pairs.append((key, value if value is not None else draw(_value(key, real_ids))))
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.one_of(st.sampled_from(keys or KEYS), st.sampled_from(KEYS), TEXT))
        values = draw(st.lists(_value(name, real_ids), min_size=1, max_size=3))
        pairs += [(name, value) for value in values]
    return pairs


HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=80)
HTMX = st.none() | st.fixed_dictionaries(
    {"HX-Request": st.just("true")},
    optional={"HX-Target": HEADER_TEXT, "HX-Current-URL": HEADER_TEXT, "HX-Trigger": HEADER_TEXT},
)
ENCODINGS = st.sampled_from(["urlencoded", "urlencoded", "multipart", "raw"])
RAW_TYPES = st.sampled_from(
    ["application/octet-stream", "application/json", "text/plain", "multipart/form-data; x"]
)


# --- The seeded site -------------------------------------------------------------------------


def _seed() -> dict:
    workspace = Workspace.objects.create(name="Acme")
    other = Workspace.objects.create(name="Other Corp")
    users = {role: make_user(workspace=workspace, role=role, username=role) for role in ROLES[1:4]}
    # Staff, and a member too, so the staff-only parts of the pages are walked as well.
    users["superuser"] = make_user(
        workspace=workspace, role="viewer", username="root", is_staff=True, is_superuser=True
    )
    for each in (workspace, other):
        make_brand(workspace=each, name="Acme", kind="own", aliases=["ACME"], domains=["acme.com"])
        make_brand(workspace=each, name="Beta", domains=["beta.com"])
        prompt = make_prompt(workspace=each, text="Best analytics tool?", tags=["pricing"])
        make_prompt(workspace=each, text="Cheapest tool?", system_message="Be brief.")
        Monitor.objects.create(workspace=each, name="Weekly", schedule="weekly")
        invitation = invitation_create(workspace=each, created_by=None, role="viewer")
        for text in ("Acme is great. Beta too.", "Beta then Acme.", "Nothing here."):
            make_answer(workspace=each, prompt=prompt, text=text, citations=["https://acme.com/a"])
        make_task(workspace=each, prompt=prompt, status="failed", request_body={})
    now = timezone.now()
    for name, web in (("claude-sonnet-4-20250514", True), ("claude-3-5-haiku-20241022", False)):
        LlmModel.objects.create(model_name=name, web_search_supported=web, refreshed_at=now)
    name, job_id = uuid()
    Failure.objects.create(
        id=job_id,
        name=name,
        func="monitoring.jobs.workspace_reanalyze",
        args=(workspace.pk,),
        started=now,
        stopped=now,
        success=False,
        result="database is locked",
    )
    return {
        "workspace": workspace,
        "other": other,
        "users": users,
        "job_id": job_id,
        "invitation_token": invitation.token,  # the other workspace's, made last
    }


def _real_ids(site) -> list[str]:
    """Ids of rows that exist, as values: they lead past the lookups to the forms' rules."""
    workspace = site["workspace"]
    return [
        str(pk)
        for related in ("prompts", "brands", "tags", "monitors", "tasks", "answers")
        for pk in getattr(workspace, related).values_list("pk", flat=True)[:2]
    ]


def _row_ids(model, site) -> list[str]:
    """Ids of a row of ``model`` in the seeded workspace and in the other one."""
    if model is Workspace:
        return [str(site["workspace"].pk), str(site["other"].pk)]
    rows = model._default_manager.order_by("pk")
    if any(field.name == "workspace" for field in model._meta.get_fields()):
        found = [rows.filter(workspace=w).first() for w in (site["workspace"], site["other"])]
        return [str(row.pk) for row in found if row is not None]
    return [str(row.pk) for row in rows[:1]]


def _path_values(name: str, converter: str, parameter: str, site) -> list[str]:
    """Real values for one path argument; a new kind of argument must be added here."""
    if parameter.endswith("_id") and converter in ("id", "int"):
        model = apps.get_model("monitoring", parameter.removesuffix("_id").replace("_", ""))
        return _row_ids(model, site)
    if parameter == "object_id":  # an admin change page: admin:monitoring_<model>_change
        return _row_ids(apps.get_model("monitoring", name.split("_")[1]), site)
    if parameter == "job_id":
        return [site["job_id"]]
    if parameter == "token" and name == "invitation_accept":
        return [site["invitation_token"]]
    if parameter == "token":
        task = site["workspace"].tasks.order_by("pk").first()
        return [webhook_token(tag=task.tag)]
    if parameter == "kind":
        return sorted(EXPORTS)
    if parameter == "step":
        return list(STEP_KEYS)
    raise AssertionError(f"Add real values for <{converter}:{parameter}> of {name} here.")


def _real_path(name: str, route: str, site) -> str:
    """The URL with a real value for every argument (the first one found)."""
    values = iter(
        _path_values(name, m["converter"] or "str", m["parameter"], site)[0]
        for m in CONVERTER.finditer(route)
    )
    return _built(route, values)


def _built(route: str, values) -> str:
    path = CONVERTER.sub(lambda _: quote(next(values), safe=""), route)
    return "/" + path.lstrip("^").rstrip("$")


def _path(name: str, route: str, site):
    """A strategy of paths: each argument real (more often) or hostile."""
    parts = []
    for match in CONVERTER.finditer(route):
        real = _path_values(name, match["converter"] or "str", match["parameter"], site)
        hostile = HUGE_IDS + HOSTILE_SEGMENTS
        # Mostly the seeded workspace's own row, which leads the furthest into the view.
        parts.append(st.one_of(*[st.just(real[0])] * 3, st.sampled_from(real + hostile)))

    return st.tuples(*parts).map(lambda values: _built(route, iter(values)))


class _SentKeys(HTMLParser):
    """The keys a page's forms, buttons and links send, with the paths they send them to."""

    def __init__(self, page: str):
        super().__init__()
        self.page = page
        self.form = [page]  # a form posts to its action, and to its hx-post too
        self.sent: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        own = [attributes[a] for a in ("hx-post", "hx-get") if attributes.get(a)]
        if tag == "form":
            self.form = [*own, attributes.get("action") or self.page]
        targets = own or self.form
        if attributes.get("name") and tag in ("input", "select", "textarea", "button"):
            self.sent += [(target, attributes["name"]) for target in targets]
        if "hx-vals" in attributes:  # JSON, unless it is a "js:" expression
            with suppress(ValueError, AttributeError):
                keys = json.loads(attributes["hx-vals"]).keys()
                self.sent += [(target, key) for target in targets for key in keys]
        for name in ("href", "hx-get", "hx-post", "action"):
            url = urlsplit(attributes.get(name, ""))
            self.sent += [(url.path or self.page, key) for key in parse_qs(url.query)]

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = [self.page]


def _crawl(site) -> tuple[dict[str, list[str]], set[str]]:
    """URL name → the keys our own pages send it (what a tamperer would start from), and
    the URLs that answer a GET (the others are mostly posted to)."""
    keys: dict[str, set[str]] = {}
    gets = set()
    for name, route in ROUTES:
        path = _real_path(name, route, site)
        role = "superuser" if name.startswith("admin:") else "owner"
        response = site["clients"][role].get(path)
        if response.status_code != 405:
            gets.add(name)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        parser = _SentKeys(path)
        parser.feed(response.content.decode())
        for target, key in parser.sent:
            with suppress(Resolver404):
                keys.setdefault(resolve(urlsplit(target).path).view_name, set()).add(key)
    return {name: sorted(found) for name, found in keys.items()}, gets


class _Site(dict):
    """The seeded rows and clients; too many to print in a failure report."""

    def __repr__(self) -> str:
        return "<the seeded site>"


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    """The seeded rows and a logged-in client per role; all rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        site = _Site(_seed())
        site["clients"] = {}
        for role in ROLES:
            client = Client(raise_request_exception=False)
            if role != "anonymous":
                client.force_login(site["users"][role])
            site["clients"][role] = client
        site["real_ids"] = _real_ids(site)
        site["page_keys"], site["gets"] = _crawl(site)
        yield site
        transaction.set_rollback(True)


class _Errors(logging.Handler):
    """Collects what django.request logs as an error (a 500, with its traceback)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture(scope="module")
def request_errors():
    handler = _Errors()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


# --- Sending one hostile request -------------------------------------------------------------


def _send(client, draw: dict):
    headers = draw["htmx"] or {}
    query = urlencode(draw["query"])
    url = f"{draw['path']}?{query}" if query else draw["path"]
    if draw["method"] == "get":
        return client.get(url, headers=headers)
    if draw["encoding"] == "raw":
        encoding = {"Content-Encoding": draw["content_encoding"]}
        return client.post(url, draw["raw"], draw["raw_type"], headers={**headers, **encoding})
    if draw["encoding"] == "multipart":
        data: dict[str, list[str]] = {}
        for key, value in draw["body"]:
            data.setdefault(key, []).append(value)
        return client.post(url, data, headers=headers)
    return client.post(
        url, urlencode(draw["body"]), "application/x-www-form-urlencoded", headers=headers
    )


def _outcome(client, draw: dict) -> tuple[int, str]:
    """(status, traceback or ""): a streamed body is read to its end, as a browser would."""
    cookies = deepcopy(client.cookies)
    try:
        with transaction.atomic():
            response = _send(client, draw)
            if response.streaming:
                b"".join(response.streaming_content)
            transaction.set_rollback(True)
    except Exception:  # a streamed body that failed half-way
        return 500, traceback.format_exc()
    finally:
        # Whatever the response set (a log-out, a new session), the seeded session is back.
        client.cookies = cookies
    return response.status_code, ""


def _requests(name: str, route: str, site):
    usual, other = ("get", "post") if name in site["gets"] else ("post", "get")
    return st.fixed_dictionaries(
        {
            "method": st.sampled_from([usual, usual, usual, other]),
            "path": _path(name, route, site),
            "query": _pairs(site["page_keys"].get(name, []), site["real_ids"]),
            "body": _pairs(site["page_keys"].get(name, []), site["real_ids"]),
            "htmx": HTMX,
            "encoding": ENCODINGS,
            "raw": st.binary(max_size=2000),
            "raw_type": RAW_TYPES,
            "content_encoding": st.sampled_from(["", "gzip", "deflate", "br", "\x00"]),
        }
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "route"), ROUTES, ids=[route for _, route in ROUTES])
@settings(max_examples=EXAMPLES_PER_URL_AND_ROLE, deadline=None)
@given(data=st.data())
def test_it_never_answers_500(site, request_errors, name, route, role, data):
    draw = data.draw(_requests(name, route, site), label="request")
    request_errors.records.clear()
    status, failure = _outcome(site["clients"][role], draw)
    logged = [record.getMessage() for record in request_errors.records]
    where = (role, draw["method"], draw["path"])
    assert status < 500, (*where, failure, logged)
    assert not logged, (*where, logged)


def test_it_walks_every_url_of_the_project():
    """A URL left out by mistake would be a hole; the admin is sampled, not walked."""
    walked = {name for name, _ in ROUTES}
    ours = {name for name, _ in _routes() if name and not name.startswith("admin:")}
    assert ours <= walked
    assert {"admin:login", "admin:index", "admin:monitoring_task_changelist"} <= walked
