#!/usr/bin/env bash
# `make demo`: the whole pipeline on this machine, no internet (see `molva demo --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/molva demo --sim-port "${1:-8765}" --port "${2:-8501}"
