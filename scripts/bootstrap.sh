#!/usr/bin/env bash
# Installs what Quorum needs on a fresh Debian 12 machine, only when missing. Idempotent.
# apt: libzmq3-dev (bus), libsqlite3-dev (GRDB), zlib1g-dev (gzip'd order-book captures), libcurl4-openssl-dev (FoundationNetworking static builds),
#      pkg-config, protobuf-compiler (make proto), docker-compose (make compose-check, validation only).
# pip: lightgbm==4.7.0 (its lib_lightgbm.so trains the gradient-boosting models through LightGBM's C API;
#      serving evaluates the model text natively and needs no LightGBM).
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

# LightGBM: the research trainer dlopens the wheel's lib_lightgbm.so (docs: TOOLCHAIN.md §6).
LIGHTGBM_VERSION="4.7.0"
if ! command -v python3 >/dev/null 2>&1; then
  echo "bootstrap: python3 is not on PATH (needed for the lightgbm wheel)" >&2
  exit 1
fi
if python3 -c "import lightgbm" >/dev/null 2>&1; then
  echo "bootstrap: lightgbm present"
else
  echo "bootstrap: installing pip package lightgbm==${LIGHTGBM_VERSION}"
  if ! python3 -m pip --version >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
  fi
  pip_args=(install -q --disable-pip-version-check --root-user-action=ignore "lightgbm==${LIGHTGBM_VERSION}")
  # Debian's system Python is "externally managed" (PEP 668): retry with its documented override.
  if ! python3 -m pip "${pip_args[@]}" 2>/dev/null; then
    python3 -m pip "${pip_args[@]}" --break-system-packages
  fi
  python3 -c "import lightgbm" >/dev/null 2>&1 || { echo "bootstrap: lightgbm did not install" >&2; exit 1; }
fi
