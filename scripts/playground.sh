#!/usr/bin/env bash
# Microsoft 365 Agents Playground: the local, offline Teams emulator for Digimentor.
#
#   scripts/playground.sh            install (if needed) and run in the foreground
#   scripts/playground.sh install    only install the pinned npm package into .tools/playground/
#   scripts/playground.sh run [ARGS] same as no arguments; ARGS go to `agentsplayground start`
#                                    (e.g. --enable-events-recording)
#
# Environment:
#   PORT                 bot port (default 3978); the playground posts to http://127.0.0.1:$PORT/api/messages
#   PLAYGROUND_PORT      playground web UI / API / connector port (default 56150)
#   M365_AGENTS_PLAYGROUND_CONFIG_PATH   config file (default scripts/playground/.m365agentsplayground.yml)
#   M365_AGENTS_PLAYGROUND_LOGFILE       playground log (default .tools/playground/playground.log)
#   M365_AGENTS_PLAYGROUND_RECORDING_FILE  events recording (default .tools/playground/events_recording.log)
#   TEAMSAPPTESTER_BROWSER               default "none" (do not open a browser)
#
# See docs/playground.md for the HTTP API used by automated tests.
set -euo pipefail

PLAYGROUND_VERSION="0.2.28"
PACKAGE="@microsoft/m365agentsplayground"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$ROOT/.tools/playground"
CONFIG_DIR="$ROOT/scripts/playground"
BIN="$TOOLS_DIR/node_modules/.bin/agentsplayground"
PKG_JSON="$TOOLS_DIR/node_modules/$PACKAGE/package.json"

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

installed_version() {
  [[ -f "$PKG_JSON" ]] || return 0
  node -p 'require(process.argv[1]).version' "$PKG_JSON" 2>/dev/null || true
}

install_playground() {
  if [[ -x "$BIN" && "$(installed_version)" == "$PLAYGROUND_VERSION" ]]; then
    return 0
  fi
  for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "playground: '$tool' not found; install Node.js 20 or newer" >&2
      exit 1
    fi
  done
  echo "playground: installing $PACKAGE@$PLAYGROUND_VERSION into $TOOLS_DIR" >&2
  mkdir -p "$TOOLS_DIR"
  npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --save-exact \
    "$PACKAGE@$PLAYGROUND_VERSION" >&2
  if [[ "$(installed_version)" != "$PLAYGROUND_VERSION" || ! -x "$BIN" ]]; then
    echo "playground: install failed ($PACKAGE@$PLAYGROUND_VERSION not found in $TOOLS_DIR)" >&2
    exit 1
  fi
}

port_in_use() {
  # Succeeds when something already listens on 127.0.0.1:$1.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

run_playground() {
  install_playground

  local ui_port="${PLAYGROUND_PORT:-56150}"
  local bot_port="${PORT:-3978}"
  local config="${M365_AGENTS_PLAYGROUND_CONFIG_PATH:-$CONFIG_DIR/.m365agentsplayground.yml}"

  # The playground silently falls back to a random port when its port is taken; fail instead.
  if port_in_use "$ui_port"; then
    echo "playground: port $ui_port is already in use (set PLAYGROUND_PORT)" >&2
    exit 1
  fi
  if [[ ! -f "$config" ]]; then
    echo "playground: config file not found: $config" >&2
    exit 1
  fi

  export TEAMSAPPTESTER_BROWSER="${TEAMSAPPTESTER_BROWSER:-none}"
  export M365_AGENTS_PLAYGROUND_CONFIG_PATH="$config"
  export M365_AGENTS_PLAYGROUND_LOGFILE="${M365_AGENTS_PLAYGROUND_LOGFILE:-$TOOLS_DIR/playground.log}"
  export M365_AGENTS_PLAYGROUND_RECORDING_FILE="${M365_AGENTS_PLAYGROUND_RECORDING_FILE:-$TOOLS_DIR/events_recording.log}"

  echo "playground: UI and API on http://localhost:$ui_port, bot http://127.0.0.1:$bot_port/api/messages" >&2
  echo "playground: config $config" >&2
  echo "playground: log $M365_AGENTS_PLAYGROUND_LOGFILE (startup errors are written only there)" >&2

  # The playground reads .m365agentsplayground.yml from its working directory (or from
  # M365_AGENTS_PLAYGROUND_CONFIG_PATH, set above) and writes ./devTools/ there unless the
  # log/recording paths are set, so run it from the config folder.
  cd "$(dirname "$config")"
  exec "$BIN" start \
    -e "http://127.0.0.1:${bot_port}/api/messages" \
    -c msteams \
    --disable-telemetry \
    -p "$ui_port" \
    "$@"
}

cmd="${1:-run}"
case "$cmd" in
  install)
    install_playground
    ;;
  run)
    shift || true
    run_playground "$@"
    ;;
  -h | --help | help)
    usage
    ;;
  -*)
    run_playground "$@"
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac
