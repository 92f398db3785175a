#!/usr/bin/env bash
# One command: set everything up (virtualenv, dependencies, services) and run every check:
# ruff (lint + format), mypy --strict on src/, and the whole pytest suite.
# Extra arguments go to pytest (e.g. -k publish, -x).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh dev
./scripts/services.sh

echo "== ruff"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
echo "== mypy --strict src"
.venv/bin/mypy src
echo "== pytest"
.venv/bin/pytest -q "$@"
