"""The ``aisa_sandbox`` management command, run as a real process."""

import base64
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def command():
    port = free_port()
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "aisa_site.settings_test",
    }
    args = [sys.executable, "manage.py", "aisa_sandbox", "--port", str(port), "--quiet"]
    args += ["--fault", "http_500:1:models", "--key", "login:password", "--seed", "3"]
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    banner = [process.stdout.readline() for _ in range(6)]
    yield process, port, banner
    if process.poll() is None:
        process.kill()
        process.wait()


def test_it_serves_until_sigterm_and_prints_its_urls(command):
    process, port, banner = command
    assert f"http://127.0.0.1:{port}/apis/v1/dataforseo" in "".join(banner)
    assert "sk-aisa-sandbox" in "".join(banner)
    url = f"http://127.0.0.1:{port}/v3/ai_optimization/claude/llm_responses/models"
    auth = {"Authorization": "Basic " + base64.b64encode(b"login:password").decode()}
    assert requests.get(url, headers=auth, timeout=5).status_code == 500
    assert requests.get(url, headers=auth, timeout=5).json()["status_code"] == 20000
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=5) == 0
    assert "Sandbox stopped." in process.stdout.read()
