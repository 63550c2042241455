#!/usr/bin/env bash
# Set up everything on a fresh machine and run the app: web server, background worker and
# the local API sandbox, in the foreground. Ctrl-C stops all of them.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "Creating the virtual environment in .venv ..."
  "$PYTHON" -m venv .venv
fi
echo "Installing dependencies ..."
# Exact, hash-checked versions from the lock (requirements/update.sh makes it from
# pyproject.toml), then the project itself, which is this tree and so has no hash.
.venv/bin/python -m pip install --quiet --require-hashes -r requirements/base.txt
.venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .

export DEBUG=${DEBUG:-1}
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
# Six weeks of demo history, made by the real pipeline against an in-process sandbox
# (skipped once done), so the dashboard has something to show.
.venv/bin/python manage.py seed_history
exec .venv/bin/python manage.py devstack "$@"
