#!/usr/bin/env bash
# Install what the tests need, then lint (ruff), the import contracts, mypy and the whole test suite (SQLite by default;
# set DATABASE_URL and REDIS_URL to run it on PostgreSQL and Redis). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Exact, hash-checked versions from the lock (requirements/update.sh makes it from
# pyproject.toml), then the project itself, which is this tree and so has no hash.
.venv/bin/python -m pip install --quiet --require-hashes -r requirements/dev.txt
.venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
# Test-only: the official DataForSEO client (tests check it parses every sandbox answer). Its
# metadata pins an urllib3 with published advisories, so its lock resolves it with the dev
# lock's urllib3 and it is installed without its declared dependencies (pyproject.toml).
.venv/bin/python -m pip install --quiet --no-deps --require-hashes -r requirements/official-client.txt

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Chromium for the browser tests ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "No Chromium found: browser tests will be skipped (install the 'chromium' package)."
  fi
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
# The layers run one way (contracts in pyproject.toml) and the core packages type-check.
.venv/bin/lint-imports --no-cache
.venv/bin/mypy
.venv/bin/pytest "$@"
