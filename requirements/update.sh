#!/usr/bin/env bash
# Regenerate the hash-checked locks from the ranges in pyproject.toml, for Python 3.11 on
# Linux x86_64:
#   requirements/base.txt  what the app runs on: the dependencies and the `prod` extra (gunicorn)
#   requirements/dev.txt   base plus the `dev` extra (tests, lint, types, audit), same versions
#   requirements/official-client.txt  dev plus the `official-client` extra (tests only), same
#                          versions, urllib3 overridden to dev's (see pyproject.toml); it is
#                          installed with --no-deps since its metadata asks an older urllib3
# Versions already in a lock are kept; arguments go to `uv pip compile`:
#   requirements/update.sh                           # after editing pyproject.toml
#   requirements/update.sh --upgrade                 # every package to its newest allowed version
#   requirements/update.sh --upgrade-package django  # one package
set -euo pipefail
cd "$(dirname "$0")/.."

UV=${UV:-.venv/bin/uv}
HEADER="# Generated from pyproject.toml by requirements/update.sh (--upgrade for newer versions); do not edit."

# pip and the build backend are locked too, so installing fetches nothing unhashed (the
# editable install of the project then runs without build isolation).
install_tools() {
  echo pip
  .venv/bin/python -c 'import tomllib
print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))'
}

lock() {
  local out=$1
  shift
  install_tools | "$UV" pip compile pyproject.toml - --quiet --generate-hashes --no-header \
    --python-version 3.11 --python-platform x86_64-manylinux_2_28 --output-file "$out" "$@"
  { echo "$HEADER"; cat "$out"; } >"$out.new"
  mv "$out.new" "$out"
}

# dev first; base is constrained to dev's versions so the two locks never disagree.
lock requirements/dev.txt --extra prod --extra dev "$@"
lock requirements/base.txt --extra prod --constraint requirements/dev.txt "$@"
grep -A0 '^urllib3==' requirements/dev.txt | sed 's/ .*//' >requirements/.urllib3-override.txt
lock requirements/official-client.txt --extra prod --extra dev --extra official-client \
  --constraint requirements/dev.txt --override requirements/.urllib3-override.txt "$@"
rm requirements/.urllib3-override.txt
