#!/usr/bin/env bash
# Installs the system packages ringside's tests and stacks need on a fresh
# Debian machine: PostgreSQL (the real-database option), Chromium (the report
# test renders the HTML report headless), Node.js/npm and Python venv (the
# stacks' runtimes), a C toolchain (better-sqlite3 builds from source), and
# wrk/h2load/hyperfine (the benchmarks; h2load is in nghttp2-client),
# redis-server (python-django's ws-chat runs Channels on channels_redis with a
# private Redis). Does nothing for what is already present.
set -euo pipefail

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || have initdb || missing+=(postgresql)
have chromium || missing+=(chromium)
have node || missing+=(nodejs)
have npm || missing+=(npm)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
have g++ || missing+=(g++)
have make || missing+=(make)
have wrk || missing+=(wrk)
have h2load || missing+=(nghttp2-client)
have hyperfine || missing+=(hyperfine)
have curl || missing+=(curl)
have redis-server || missing+=(redis-server)

if ((${#missing[@]} == 0)); then
  echo "system packages: all present"
  exit 0
fi
echo "system packages to install: ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  if have sudo; then SUDO=sudo; else
    echo "error: not root and no sudo; install them with: apt-get install ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
