"""Audit a hash-checked lock for published vulnerabilities with pip-audit.

    python requirements/audit.py requirements/dev.txt

It first asks pip-audit's advisory databases (PyPI's JSON API, then OSV) about one package
of the lock. When one answers, the whole lock is audited against it and any advisory fails
(exit 1). When none answers it prints that the audit was skipped and exits 0: without that
check an unreachable database would still pass, since pip-audit skips a package that the
PyPI API answers 404 for (as a proxy serving only the package index does), auditing nothing.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import requests
from packaging.version import Version
from pip_audit._service import (
    OsvService,
    PyPIService,
    ResolvedDependency,
    ServiceError,
    VulnerabilityService,
)

SKIPPED = "vulnerability audit skipped: the advisory database cannot be reached"
SERVICES = ("pypi", "osv")  # pip-audit's names, in the order they are tried
PROBE_TIMEOUT = 5  # seconds for the one reachability query
QUERY_TIMEOUT = 15  # seconds for each of pip-audit's queries
AUDIT_TIMEOUT = 300  # seconds for the whole audit
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def first_pin(lock: Path) -> ResolvedDependency:
    """The lock's first pinned package, the one the databases are asked about."""
    match = PIN.search(lock.read_text())
    if match is None:
        raise SystemExit(f"{lock}: no pinned requirement to audit")
    return ResolvedDependency(name=match[1], version=Version(match[2]))


def database_answers(service: VulnerabilityService, probe: ResolvedDependency) -> bool:
    """Whether the service looked the package up: an error, no answer or a 404 is a no."""
    try:
        dependency, _ = service.query(probe)
    except (ServiceError, requests.RequestException, ValueError):
        return False
    return not dependency.is_skipped()


def reachable_service(
    services: Sequence[tuple[str, VulnerabilityService]], probe: ResolvedDependency
) -> str | None:
    """The name of the first service that answers, or None."""
    return next((name for name, service in services if database_answers(service, probe)), None)


def probe_services(names: Sequence[str], osv_url: str) -> list[tuple[str, VulnerabilityService]]:
    make = {
        "pypi": lambda: PyPIService(timeout=PROBE_TIMEOUT),
        "osv": lambda: OsvService(timeout=PROBE_TIMEOUT, osv_url=osv_url),
    }
    return [(name, make[name]()) for name in names]


def audit_command(lock: Path, service: str, osv_url: str) -> list[str]:
    # --disable-pip: the lock is fully pinned and hashed, so nothing is resolved or installed;
    # --strict: once a database answers, a package it cannot look up fails the audit.
    return [
        *(sys.executable, "-m", "pip_audit", "--requirement", str(lock)),
        *("--require-hashes", "--disable-pip", "--strict", "--progress-spinner", "off"),
        *("--vulnerability-service", service, "--osv-url", osv_url),
        *("--timeout", str(QUERY_TIMEOUT)),
    ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", type=Path, help="a requirements file with hashes")
    parser.add_argument(
        "--service", action="append", choices=SERVICES, help="database to use (repeatable)"
    )
    parser.add_argument("--osv-url", default=OsvService.DEFAULT_OSV_URL, help="OSV query URL")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    probe = first_pin(args.lock)
    service = reachable_service(probe_services(args.service or SERVICES, args.osv_url), probe)
    if service is None:
        print(SKIPPED, flush=True)
        return 0
    print(f"vulnerability audit of {args.lock} against {service}", flush=True)
    command = audit_command(args.lock, service, args.osv_url)
    try:
        return subprocess.run(command, timeout=AUDIT_TIMEOUT, check=False).returncode
    except subprocess.TimeoutExpired:
        print(f"vulnerability audit failed: no result within {AUDIT_TIMEOUT} s", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
