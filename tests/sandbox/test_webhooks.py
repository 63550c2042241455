"""Postbacks and pingbacks, received by a tiny HTTP server in the test."""

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import sandbox_task


class Receiver(BaseHTTPRequestHandler):
    def do_GET(self):
        self._record(b"")

    def do_POST(self):
        self._record(self.rfile.read(int(self.headers["Content-Length"])))

    def _record(self, body):
        self.server.received.append((self.command, self.path, dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received = []
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def wait_for(predicate, seconds=3.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_it_posts_the_gzipped_result_with_id_and_tag_substituted(api, receiver):
    url = f"http://127.0.0.1:{receiver.server_port}/hook?id=$id&tag=$tag&secret=s3"
    (task_id,) = api.task_ids(sandbox_task(tag="brand check #1", postback_url=url))
    wait_for(lambda: receiver.received)
    method, path, headers, body = receiver.received[0]
    assert method == "POST"
    assert path == f"/hook?id={task_id}&tag=brand%20check%20%231&secret=s3"
    assert headers["Content-Encoding"] == "gzip"
    envelope = json.loads(gzip.decompress(body))
    task = envelope["tasks"][0]
    assert task["id"] == task_id
    assert task["status_code"] == 20000
    assert task["result"][0]["items"]


def test_it_pings_back_with_a_get_when_the_task_is_done(api, receiver, sandbox):
    sandbox.task_delay = 60
    url = f"http://127.0.0.1:{receiver.server_port}/ping/$id?tag=$tag"
    (task_id,) = api.task_ids(sandbox_task(tag="a/b", pingback_url=url))
    time.sleep(0.3)
    assert receiver.received == []
    sandbox.complete_all()
    wait_for(lambda: receiver.received)
    assert receiver.received[0][:2] == ("GET", f"/ping/{task_id}?tag=a%2Fb")
    assert len(receiver.received) == 1


def test_it_ignores_a_failing_webhook_and_still_lists_the_task_as_ready(api, sandbox):
    (task_id,) = api.task_ids(sandbox_task(postback_url="http://127.0.0.1:9/unreachable"))
    wait_for(lambda: sandbox.webhook_log)
    (attempt,) = sandbox.webhook_log
    assert attempt["task_id"] == task_id
    assert "error" in attempt
    ready = api.get("tasks_ready").json()["tasks"][0]["result"]
    assert [r["id"] for r in ready] == [task_id]
