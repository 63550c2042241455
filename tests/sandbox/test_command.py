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


def test_it_runs_in_the_foreground_with_a_delay_and_jitter():
    port = free_port()
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "aisa_site.settings_test",
    }
    args = [sys.executable, "manage.py", "aisa_sandbox", "--port", str(port), "--quiet"]
    args += ["--delay", "4", "--delay-jitter", "1"]
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        banner = "".join(process.stdout.readline() for _ in range(7))
        assert f"AIsa base:       http://127.0.0.1:{port}/apis/v1/dataforseo" in banner
        assert f"DataForSEO base: http://127.0.0.1:{port}/v3" in banner
        assert "Task delay:      4 s + up to 1 s" in banner
        base = f"http://127.0.0.1:{port}/apis/v1/dataforseo/ai_optimization/claude/llm_responses"
        auth = {"Authorization": "Bearer sk-aisa-sandbox"}
        task = {"user_prompt": "Best CRM?", "model_name": "claude-sonnet-4-0"}
        posted = requests.post(base + "/task_post", json=[task], headers=auth, timeout=5).json()
        task_id = posted["tasks"][0]["id"]
        got = requests.get(f"{base}/task_get/{task_id}", headers=auth, timeout=5).json()
        assert got["tasks"][0]["status_code"] == 40602  # in queue for 4 to 5 s
        assert process.poll() is None  # still serving in the foreground
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_its_default_delay_lets_a_person_watch_a_task_complete():
    from sandbox.management.commands.aisa_sandbox import DEFAULT_DELAY, Command

    assert 1 <= DEFAULT_DELAY <= 10
    parser = Command().create_parser("manage.py", "aisa_sandbox")
    options = parser.parse_args([])
    assert options.delay == DEFAULT_DELAY
    assert options.delay_jitter == 0
