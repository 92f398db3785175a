#!/usr/bin/env bash
# Start the local services the test suite talks to, if they are down (PostgreSQL).
set -uo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "PostgreSQL client tools are missing; installing postgresql" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null
fi
if ! pg_up; then
  echo "starting PostgreSQL" >&2
  if ls /etc/postgresql >/dev/null 2>&1 && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 60); do pg_up && break; sleep 0.5; done
fi
if ! pg_up; then
  echo "PostgreSQL is not reachable on 127.0.0.1:5432; the store tests need it" >&2
  exit 1
fi
# The tests connect as postgres to the `test` database (trust auth on loopback).
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE test"
# The dashboard's browser tests drive Debian's Chromium (never a downloaded browser build).
command -v chromium >/dev/null \
  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
# The end-to-end ingestion test and the ingestion benchmark run a real Alertmanager.
command -v prometheus-alertmanager >/dev/null 2>&1 \
  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-alertmanager) >/dev/null \
  || echo "could not install prometheus-alertmanager; tests/e2e/test_alertmanager.py needs it" >&2
