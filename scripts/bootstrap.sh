#!/usr/bin/env bash
# Installs what Quorum needs on a fresh Debian 12 machine, only when missing. Idempotent.
# apt: libzmq3-dev (bus), libsqlite3-dev (GRDB), zlib1g-dev (gzip'd order-book captures), libcurl4-openssl-dev (FoundationNetworking static builds),
#      pkg-config, protobuf-compiler (make proto), docker-compose (make compose-check, validation only).
# pip: nothing yet (lightgbm arrives with the research issue).
set -euo pipefail

need_apt=()
for pkg in pkg-config libzmq3-dev libsqlite3-dev zlib1g-dev libcurl4-openssl-dev protobuf-compiler docker-compose; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    need_apt+=("$pkg")
  fi
done

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: installing apt packages: ${need_apt[*]}"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
else
  echo "bootstrap: apt packages present"
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "bootstrap: swift is not on PATH (expected Swift 6.3 at /opt/swift)" >&2
  exit 1
fi
