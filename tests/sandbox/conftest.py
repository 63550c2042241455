"""Fixtures for talking to the sandbox over real HTTP with plain ``requests``."""

from __future__ import annotations

import pytest
import requests

from monitoring.aisa import contract
from tests.factories import SANDBOX_KEY, sandbox_task


class Api:
    """One family's endpoints under the AIsa base, authenticated with a valid key."""

    def __init__(self, sandbox, family: str = "claude") -> None:
        self.sandbox, self.family = sandbox, family
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {SANDBOX_KEY}"

    def url(self, endpoint: str, task_id: str = "") -> str:
        path = contract.endpoint_path(endpoint, family=self.family, task_id=task_id)
        return self.sandbox.aisa_base_url + path

    def post(self, endpoint: str, body, **kwargs) -> requests.Response:
        return self.session.post(self.url(endpoint), json=body, timeout=5, **kwargs)

    def get(self, endpoint: str, task_id: str = "", **kwargs) -> requests.Response:
        return self.session.get(self.url(endpoint, task_id), timeout=5, **kwargs)

    def post_tasks(self, *tasks) -> dict:
        response = self.post("task_post", list(tasks))
        assert response.status_code == 200
        return response.json()

    def task_ids(self, *tasks) -> list[str]:
        envelope = self.post_tasks(*tasks)
        return [t["id"] for t in envelope["tasks"] if t["status_code"] == contract.TASK_CREATED]

    def result(self, task_id: str) -> dict:
        """The result item of a completed task (collects it)."""
        task = self.get("task_get", task_id).json()["tasks"][0]
        assert task["status_code"] == contract.OK, task["status_message"]
        return task["result"][0]

    def answer(self, **fields) -> dict:
        (task_id,) = self.task_ids(sandbox_task(**fields))
        return self.result(task_id)


@pytest.fixture
def api(sandbox) -> Api:
    return Api(sandbox)


@pytest.fixture
def make_api():
    """``make_api(server, family="claude")``: an ``Api`` for another family or server."""
    return Api


@pytest.fixture
def answer_text():
    """``answer_text(result)``: the text of a result item's messages, joined."""

    def text(result: dict) -> str:
        messages = [i for i in result["items"] if i["type"] == "message"]
        return "".join(s["text"] for item in messages for s in item["sections"])

    return text
