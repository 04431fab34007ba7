#!/usr/bin/env bash
# Command 1: the bot on embedded defaults (SQLite, demo data) plus the Microsoft 365 Agents
# Playground, so that a person can open http://localhost:56150 and chat as a demo employee.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

export HOST="${HOST:-127.0.0.1}" PORT="${PORT:-3978}"
.venv/bin/python app.py migrate
.venv/bin/python app.py demo --if-empty
scripts/playground.sh install

.venv/bin/python app.py serve &
bot_pid=$!
trap 'kill "$bot_pid" 2>/dev/null || true; wait "$bot_pid" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  if .venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen('http://$HOST:$PORT/healthz', timeout=1)" 2>/dev/null; then
    break
  fi
  kill -0 "$bot_pid" 2>/dev/null || { echo "the bot failed to start" >&2; exit 1; }
  sleep 0.2
done

echo
echo "Digimentor is running on http://$HOST:$PORT/api/messages"
echo "Open http://localhost:${PLAYGROUND_PORT:-56150} to chat as Maija Virtanen (a demo employee)."
echo "Press Ctrl+C to stop both."
echo
scripts/playground.sh
