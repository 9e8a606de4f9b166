#!/usr/bin/env bash
# Builds the real Dockerfile into an image with podman, on a machine without a Docker engine or a
# registry to pull from (issue #10), and prints the image name (chatd:test). Docker's image format
# (not OCI), as `docker build` makes it: only that one keeps HEALTHCHECK.
#
#   scripts/image.sh build       debian:bookworm made locally with debootstrap (cached as a
#                                tarball), then `podman build` of ./Dockerfile
#   scripts/image.sh podman ...  podman with this project's storage (build/image), for tests
#
# Everything podman stores (base image, layers, the image) lives under build/image, so a second
# run only rebuilds the layers whose inputs changed, and `make clean` removes it all. Behind a
# proxy that intercepts HTTPS, the CA bundle NODE_EXTRA_CA_CERTS names (or EXTRA_CA) is passed to
# the build as the `extra_ca` secret (see the Dockerfile).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${IMAGE_STATE_DIR:-$ROOT/build/image}
IMAGE=${IMAGE:-chatd:test}
MIRROR=${DEBIAN_MIRROR:-}
mkdir -p "$STATE"

podman_() {
  podman --root "$STATE/storage" --runroot "$STATE/run" --storage-driver overlay "$@"
}

need() {
  local tool
  for tool in podman debootstrap; do
    command -v "$tool" >/dev/null || { echo "image: $tool is missing: run scripts/setup.sh (make test does)" >&2; exit 1; }
  done
}

# The Debian archive apt already uses on this machine (debootstrap needs one; no registry is
# reachable): a URI ending in /debian (not -security, not a third-party repository).
debian_mirror() {
  if [ -n "$MIRROR" ]; then echo "$MIRROR"; return; fi
  local uri
  uri=$( { grep -hsoE '^URIs:\s*\S+' /etc/apt/sources.list.d/*.sources | awk '{print $2}';
           grep -hsoE '^deb\s+(\[[^]]*\]\s+)?\S+' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $NF}'; } \
         | grep -E '/debian/?$' | head -1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

base_image() {
  if podman_ image exists debian:bookworm && podman_ image exists debian:bookworm-slim; then return; fi
  local tarball=$STATE/debian-bookworm-minbase.tar
  if [ ! -s "$tarball" ]; then
    local rootfs
    rootfs=$(mktemp -d "$STATE/rootfs.XXXXXX")
    trap 'rm -rf "$rootfs"' EXIT
    echo "image: debootstrap bookworm from $(debian_mirror) (once; cached in $tarball)" >&2
    debootstrap --variant=minbase bookworm "$rootfs" "$(debian_mirror)" >"$STATE/debootstrap.log" 2>&1 \
      || { tail -20 "$STATE/debootstrap.log" >&2; rm -rf "$rootfs"; exit 1; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$rootfs"
    trap - EXIT
  fi
  # The same tree stands in for both tags the Dockerfile names (Docker Hub's bookworm-slim is
  # the same release with documentation and locales stripped: about 75 MB against minbase's 121).
  podman_ import "$tarball" debian:bookworm >/dev/null
  podman_ tag debian:bookworm debian:bookworm-slim
}

build() {
  need
  base_image
  local secret=()
  local ca=${EXTRA_CA:-${NODE_EXTRA_CA_CERTS:-}}
  [ -n "$ca" ] && [ -s "$ca" ] && secret=(--secret "id=extra_ca,src=$ca")
  echo "image: podman build -t $IMAGE (log: $STATE/build.log)" >&2
  if ! podman_ build --format docker --isolation chroot --pull=never "${secret[@]}" -t "$IMAGE" "$ROOT" >"$STATE/build.log" 2>&1; then
    tail -40 "$STATE/build.log" >&2
    exit 1
  fi
  echo "$IMAGE"
}

case "${1:-build}" in
  build) build ;;
  podman) shift; podman_ "$@" ;;
  *) sed -n 2,12p "$0"; exit 2 ;;
esac
