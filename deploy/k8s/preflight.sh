#!/usr/bin/env bash
# Checks a kustomization before `kubectl apply -k` (issue #10): what would otherwise fail only
# in the cluster, minutes later (ErrImagePull, a claim Pending forever, a stalled rollout).
#
#   deploy/k8s/preflight.sh deploy/k8s/overlays/redis            offline checks, then the cluster's
#   deploy/k8s/preflight.sh --offline deploy/k8s/overlays/redis  offline checks only
#
# Offline: the rendering works with kubectl alone (no separate kustomize binary), the chat image
# is not the placeholder registry, a shared-uploads claim names a storage class (not the
# placeholder). Against the cluster kubectl points at: that storage class exists.
# Exit 0 when everything holds; otherwise 1, with what to change.
set -euo pipefail

offline=false
if [ "${1:-}" = "--offline" ]; then offline=true; shift; fi
dir=${1:?usage: preflight.sh [--offline] <kustomization directory>}
command -v kubectl >/dev/null || { echo "preflight: kubectl is not installed" >&2; exit 1; }

rendered=$(kubectl kustomize "$dir") || { echo "preflight: kubectl kustomize $dir failed" >&2; exit 1; }
problems=0
fail() { echo "preflight: $*" >&2; problems=$((problems + 1)); }

# The chat container's image (the one named .../docker-chat): it must name a registry the
# cluster pulls from. Refused: the placeholder and the documentation's example hosts
# (example.invalid, example.com ...), and a name without a registry host (Docker Hub's library
# namespace, where no docker-chat image exists: ErrImagePull).
images=$(printf '%s\n' "$rendered" | sed -n 's/^[ -]*image: *//p' | tr -d '"'"'"'' | grep -E '(^|/)docker-chat(:|@|$)' || true)
[ -n "$images" ] || fail "no docker-chat container image found in the rendered manifests"
for image in $images; do
  first=${image%%/*}
  if [ "$first" = "$image" ] || ! [[ "$first" == *.* || "$first" == *:* || "$first" == localhost ]]; then
    fail "the chat image $image names no registry (it would be pulled from Docker Hub, where it does not exist): set newName under images: in deploy/k8s/base/kustomization.yaml to your registry's image"
  elif [[ "$first" =~ (^|\.)example\.(invalid|com|org|net)$ ]]; then
    fail "the chat image is still a placeholder ($image): build and push the image, then set newName/newTag under images: in deploy/k8s/base/kustomization.yaml (README, Kubernetes)"
  fi
done

classes=$(printf '%s\n' "$rendered" | sed -n 's/^ *storageClassName: *//p' | sort -u)
for class in $classes; do
  if [ "$class" = "choose-a-readwritemany-class" ]; then
    fail "storageClassName is still the placeholder: set a class of your cluster that provisions ReadWriteMany volumes in deploy/k8s/components/shared-uploads/pvc.yaml (kubectl get storageclass)"
  elif ! $offline; then
    if answer=$(kubectl get storageclass "$class" --request-timeout=10s -o jsonpath='{.provisioner}' 2>&1); then
      echo "preflight: storage class $class (provisioner $answer): make sure it provisions ReadWriteMany volumes"
    elif [[ "$answer" == *NotFound* || "$answer" == *"not found"* ]]; then
      fail "the cluster has no storage class \"$class\" (kubectl get storageclass); the claim would stay Pending and the rollout stall"
    else
      fail "could not ask the cluster about storage class \"$class\" ($answer); use --offline to check the files only"
    fi
  fi
done

if [ "$problems" -gt 0 ]; then exit 1; fi
echo "preflight: $dir is ready to apply (kubectl apply -k $dir)"
