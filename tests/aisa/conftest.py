"""Fixtures of the client tests: clients bound to the sandbox, and a scripted HTTP server.

The sandbox emulates the API and its documented faults. A few answers it has no fault for
(envelope codes such as 40203 or 50301, ``tasks: null`` with 20000, a 504, a body cut off
mid-stream, a key echoed back) come from ``scripted``: a real HTTP server on loopback that
replays canned responses, so every test still goes through real sockets.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitoring.aisa.client import AisaClient
from tests.factories import TEST_KEY

BASIC_KEY = "sandbox-login:Pa55w0rd-sandbox"


@pytest.fixture
def client(sandbox):
    with AisaClient(sandbox.aisa_base_url, TEST_KEY, connect_timeout=2, read_timeout=5) as aisa:
        yield aisa


@pytest.fixture
def basic_client(sandbox):
    sandbox.api_keys.add(BASIC_KEY)
    with AisaClient(
        sandbox.dataforseo_base_url, BASIC_KEY, auth_scheme="basic", read_timeout=5
    ) as aisa:
        yield aisa


@pytest.fixture
def closed_port():
    """A local port nobody listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return port


@pytest.fixture
def unanswered_port():
    """A listening port whose accept queue is full: a new connect() hangs (Linux drops SYNs)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(4):  # fill the accept queue; later connections stay unanswered
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for sock in [*fillers, server]:
        sock.close()


class Scripted:
    """A loopback HTTP server answering each request with the next canned response."""

    def __init__(self) -> None:
        self.responses: list[tuple[int, dict[str, str], bytes]] = []
        self.requests: list[dict] = []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                scripted.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                status, headers, body = scripted.responses.pop(0)
                self.send_response(status)
                headers = {"Content-Type": "application/json", **headers}
                headers.setdefault("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def add(self, status: int = 200, body=b"", **headers: str) -> None:
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.responses.append((status, {k.replace("_", "-"): v for k, v in headers.items()}, body))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted():
    server = Scripted()
    yield server
    server.close()
