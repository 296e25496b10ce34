#!/usr/bin/env bash
# The whole pipeline on this machine, no internet: simulator -> crawl -> classify -> alerts -> dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
SIM_PORT=${1:-8765}
DASHBOARD_PORT=${2:-8501}
BIN=.venv/bin
export MOLVA_DATA_DIR=${MOLVA_DATA_DIR:-var/demo}
export HF_HUB_OFFLINE=1
mkdir -p "$MOLVA_DATA_DIR"
CONFIG="$MOLVA_DATA_DIR/molva.toml"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "==> simulated public web on http://127.0.0.1:$SIM_PORT (Telegram, VK API, RSS, reviews, Mastodon)"
$BIN/molva sim --port "$SIM_PORT" --seed 1 --live --write-config "$CONFIG" &
pids+=($!)
for _ in $(seq 1 100); do
  if [ -s "$CONFIG" ] && $BIN/python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$SIM_PORT/__sim__/health', timeout=1)" 2>/dev/null; then
    break
  fi
  sleep 0.3
done
export MOLVA_CONFIG="$CONFIG"

echo "==> database"
$BIN/molva db upgrade
echo "==> first crawl of every source"
$BIN/molva crawl --all
echo "==> sentiment, intent and urgency of new brand mentions"
$BIN/molva classify
echo "==> alerts: support topics for urgent complaints, spike notifications"
$BIN/molva alerts dispatch
$BIN/molva report

echo "==> scheduler (keeps crawling the live simulator) and dashboard on http://127.0.0.1:$DASHBOARD_PORT"
$BIN/molva run &
pids+=($!)
$BIN/molva dashboard --port "$DASHBOARD_PORT"
