#!/usr/bin/env bash
# Install Debian packages for a test's real peer (Chromium, redis-server):
#
#   scripts/ci/apt-install.sh LABEL NOTE PACKAGE...
#
# Debian/Ubuntu with root (or sudo); `apt-get update` only when the first
# package is unknown. Every message starts with `LABEL:`; NOTE (may be
# empty) follows each message saying why nothing was installed. Exits 0
# when the packages were installed, 1 (after its message) when they could
# not be: the caller decides what that means.
set -euo pipefail

label=$1
note=${2:+ $2}
shift 2

if ! command -v apt-get >/dev/null; then
  echo "$label: no apt-get here; install $* by hand$note"
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "$label: not root and no sudo; cannot install $*$note"
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show "$1" >/dev/null 2>&1; then
  $SUDO apt-get update -qq
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
  echo "$label: apt-get install $* failed$note"
  exit 1
fi
