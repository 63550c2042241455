"""The lock's vulnerability audit (requirements/audit.py): it fails on a published advisory,
passes on none, and is skipped with a clear message where no advisory database answers.

An OSV-shaped server on loopback stands in for the advisory database; pip-audit itself runs.
"""

import importlib.util
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Any 64 hex digits: the OSV service checks that a hash is there, not what it is.
LOCK_LINE = "requests==2.34.2 \\\n    --hash=sha256:" + "ab" * 32 + "\n"
ADVISORY = {
    "id": "GHSA-test-0000-0000",
    "summary": "a test advisory",
    "affected": [
        {
            "package": {"name": "requests", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99.0"}]}],
        }
    ],
}


def load_audit():
    spec = importlib.util.spec_from_file_location("audit", ROOT / "requirements" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def audit():
    return load_audit()


@pytest.fixture
def lock(tmp_path):
    path = tmp_path / "lock.txt"
    path.write_text(LOCK_LINE)
    return path


@pytest.fixture
def advisory_db():
    """An OSV-like query endpoint; set ``.status`` and ``.vulns`` to shape its answers."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            server.queries.append(query)
            body = json.dumps({"vulns": server.vulns} if server.vulns else {}).encode()
            self.send_response(server.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.status, server.vulns, server.queries = 200, [], []
    server.url = f"http://127.0.0.1:{server.server_port}/v1/query"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1/query"


def run(audit, lock, url):
    return audit.main([str(lock), "--service", "osv", "--osv-url", url])


def test_it_fails_when_the_database_reports_a_vulnerability(audit, lock, advisory_db, capfd):
    advisory_db.vulns = [ADVISORY]

    assert run(audit, lock, advisory_db.url) == 1
    out, err = capfd.readouterr()
    assert "GHSA-test-0000-0000" in out + err


def test_it_passes_when_the_database_reports_none(audit, lock, advisory_db, capfd):
    assert run(audit, lock, advisory_db.url) == 0
    out, err = capfd.readouterr()
    assert "No known vulnerabilities found" in out + err
    assert {"name": "requests", "ecosystem": "PyPI"} in [q["package"] for q in advisory_db.queries]


def test_it_skips_with_a_message_when_the_database_answers_404(audit, lock, advisory_db, capfd):
    # What PyPI's JSON API answers through a proxy that serves only the package index:
    # pip-audit would skip every package and report success on nothing audited.
    advisory_db.status = 404

    assert run(audit, lock, advisory_db.url) == 0
    assert audit.SKIPPED in capfd.readouterr().out


def test_it_skips_with_a_message_when_nothing_listens(audit, lock, capfd):
    assert run(audit, lock, closed_port_url()) == 0
    assert capfd.readouterr().out.strip() == audit.SKIPPED


def test_it_tries_the_next_database_when_the_first_does_not_answer(audit, lock, advisory_db):
    dead = audit.OsvService(timeout=2, osv_url=closed_port_url())
    live = audit.OsvService(timeout=2, osv_url=advisory_db.url)
    probe = audit.first_pin(lock)

    assert audit.reachable_service([("dead", dead), ("live", live)], probe) == "live"
    assert audit.reachable_service([("dead", dead)], probe) is None


def test_it_probes_with_the_first_package_of_the_lock(audit, tmp_path):
    path = tmp_path / "lock.txt"
    path.write_text("# a comment\n" + LOCK_LINE.replace("requests", "django", 1))

    probe = audit.first_pin(path)

    assert (probe.name, str(probe.version)) == ("django", "2.34.2")
