"""The hash-checked locks in requirements/ match the ranges in pyproject.toml.

A dependency added to pyproject.toml without running requirements/update.sh fails here.
"""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def lock_entries(name):
    """{package: (version, hashes)} of a lock file."""
    text = (ROOT / "requirements" / name).read_text()
    entries = {}
    for block in re.split(r"\n(?=\S)", text):
        match = PIN.match(block)
        if match:
            hashes = set(re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
            entries[canonicalize_name(match[1])] = (match[2], hashes)
    return entries


def declared(*extras):
    project = PYPROJECT["project"]
    optional = project["optional-dependencies"]
    specs = project["dependencies"] + [spec for extra in extras for spec in optional[extra]]
    return [Requirement(spec) for spec in specs]


LOCKS = {
    "base.txt": ("prod",),
    "dev.txt": ("prod", "dev"),
    "official-client.txt": ("prod", "dev", "official-client"),
}


@pytest.mark.parametrize(("lock", "extras"), LOCKS.items())
def test_it_pins_every_declared_dependency_within_its_range(lock, extras):
    entries = lock_entries(lock)
    for requirement in declared(*extras):
        name = canonicalize_name(requirement.name)
        assert name in entries, f"{name} is not in requirements/{lock}"
        version, _ = entries[name]
        assert requirement.specifier.contains(version), f"{name}=={version} {requirement}"


@pytest.mark.parametrize("lock", LOCKS)
def test_it_hashes_every_pin(lock):
    entries = lock_entries(lock)
    assert entries
    assert [name for name, (_, hashes) in entries.items() if not hashes] == []


def test_it_locks_the_installers_tools_too():
    # pip and the build backend come from the lock, so nothing is fetched unhashed.
    backend = Requirement(PYPROJECT["build-system"]["requires"][0])
    for lock in LOCKS:
        entries = lock_entries(lock)
        assert "pip" in entries
        assert backend.specifier.contains(entries[canonicalize_name(backend.name)][0])


def test_the_runtime_lock_agrees_with_the_dev_lock_and_leaves_the_dev_tools_out():
    base, dev = lock_entries("base.txt"), lock_entries("dev.txt")

    assert {name: base[name] for name in base} == {name: dev[name] for name in base}
    dev_only = {canonicalize_name(r.name) for r in declared("dev")} - {
        canonicalize_name(r.name) for r in declared("prod")
    }
    assert dev_only & base.keys() == set()


def test_the_official_client_lock_keeps_the_dev_locks_versions():
    # It is installed over the dev lock with --no-deps: same versions, urllib3 included
    # (the client's own metadata would ask for an older one with published advisories).
    dev, official = lock_entries("dev.txt"), lock_entries("official-client.txt")

    assert {name: official[name] for name in dev} == dev
    assert "dataforseo-client" in official
    assert "dataforseo-client" not in dev
