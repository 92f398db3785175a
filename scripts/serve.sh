#!/usr/bin/env bash
# One command: set everything up and run the server on 127.0.0.1:8025 with a SQLite store.
# Extra arguments go to `warroom serve` (e.g. --port 9000, --database-url postgresql+psycopg://…).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/warroom serve "$@"
