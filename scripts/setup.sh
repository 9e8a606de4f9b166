#!/usr/bin/env bash
# Installs every Debian and npm dependency the build and the tests need, on a fresh
# Debian 12 machine. Idempotent: when everything is present it only checks and returns.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and runtime libraries (see docs/ARCHITECTURE.md for what each is for).
DEB_PACKAGES=(
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-context1.81-dev
  libhiredis-dev libnats-dev librabbitmq-dev libpq-dev libsqlite3-dev libvips-dev libsodium-dev
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libssl-dev nlohmann-json3-dev libicu-dev
  ccache ninja-build pkg-config cmake g++ curl
  # fuzzing (libFuzzer ships with clang)
  clang libclang-rt-14-dev
  # browser tests (driven by playwright-core from npm; never a downloaded browser)
  chromium
  # servers the contract and cluster tests start as private instances (scripts/services.sh);
  # none of them is started by the package installation here (no init system)
  redis-server nats-server rabbitmq-server postgresql haproxy iproute2
  # offline validation of the deployment files (no Docker engine is needed or started)
  docker-compose
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The image test (tests/image, issue #10): podman builds the real Dockerfile and debootstrap
# makes its base image from the Debian mirror (no registry is reachable). Installed with their
# recommended packages, as tested (buildah, fuse-overlayfs, uidmap...).
image_missing=()
for p in podman debootstrap; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then image_missing+=("$p"); fi
done
if [ ${#image_missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${image_missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${image_missing[@]}"
fi

if ! command -v node >/dev/null 2>&1; then
  echo "setup: installing nodejs and npm from Debian"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

# npm packages for the protocol tests, pinned by the committed lock file.
# Re-run `npm ci` only when the lock file changed since the last install.
npm_install() {
  local dir=$1
  local stamp="$dir/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
    echo "setup: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_install tests
npm_install web

# kubectl (with kustomize v5) validates the Kubernetes manifests in the deploy test. Debian 12
# has no current kubectl package; the machine image provides one. Say so early when it is missing.
command -v kubectl >/dev/null 2>&1 ||
  echo "setup: warning: kubectl is not installed; the deploy test (kubectl kustomize) will fail" >&2
