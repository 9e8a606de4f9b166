// deploy/k8s/preflight.sh (issue #10): the shipped manifests name no image that exists and no
// storage class, on purpose; the check before `kubectl apply -k` says what to set, and passes
// once it is set. Offline (no cluster here): the cluster's storage classes are not asked.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ROOT, requireTool, run } from "./lib.mjs";

const PREFLIGHT = path.join(ROOT, "deploy/k8s/preflight.sh");

function preflight(dir) {
  requireTool("kubectl", "the machine image provides kubectl (not a Debian 12 package)");
  return run("bash", [PREFLIGHT, "--offline", dir]);
}

test("the shipped overlays are refused until the image registry is set", () => {
  for (const overlay of ["base", "overlays/redis", "overlays/rabbit", "overlays/nats"]) {
    const r = preflight(path.join(ROOT, "deploy/k8s", overlay));
    assert.equal(r.code, 1, `${overlay}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /the chat image is still a placeholder/, overlay);
    assert.doesNotMatch(r.stderr, /storageClassName/, `${overlay} has no shared uploads`);
  }
});

test("shared uploads are refused until a ReadWriteMany storage class is chosen", () => {
  const r = preflight(path.join(ROOT, "deploy/k8s/overlays/shared-uploads"));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /the chat image is still a placeholder/);
  assert.match(r.stderr, /storageClassName is still the placeholder/);
});

function withImage(newName, fn) {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-preflight-"));
  try {
    fs.cpSync(path.join(ROOT, "deploy/k8s"), path.join(copy, "k8s"), { recursive: true });
    const kustomization = path.join(copy, "k8s/base/kustomization.yaml");
    fs.writeFileSync(kustomization, fs.readFileSync(kustomization, "utf8").replace("registry.example.invalid/change-me/docker-chat", newName));
    return fn(path.join(copy, "k8s/base"));
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

test("the documentation's example registry and a name without a registry are refused too", () => {
  for (const [name, why] of [
    ["registry.example.com/team/docker-chat", /still a placeholder/],
    ["docker-chat", /names no registry/],
    ["team/docker-chat", /names no registry/],
  ]) {
    withImage(name, (dir) => {
      const r = preflight(dir);
      assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, why, name);
    });
  }
  withImage("localhost:5000/docker-chat", (dir) => assert.equal(preflight(dir).code, 0, "a local registry is a registry"));
});

test("with a registry and a storage class set, the check passes", () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-preflight-"));
  try {
    fs.cpSync(path.join(ROOT, "deploy/k8s"), path.join(copy, "k8s"), { recursive: true });
    const kustomization = path.join(copy, "k8s/base/kustomization.yaml");
    fs.writeFileSync(kustomization, fs.readFileSync(kustomization, "utf8").replace("registry.example.invalid/change-me/docker-chat", "registry.acme.internal/team/docker-chat"));
    const pvc = path.join(copy, "k8s/components/shared-uploads/pvc.yaml");
    fs.writeFileSync(pvc, fs.readFileSync(pvc, "utf8").replace("choose-a-readwritemany-class", "nfs-csi"));
    const r = preflight(path.join(copy, "k8s/overlays/shared-uploads"));
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /ready to apply/);
    const rendered = run("kubectl", ["kustomize", path.join(copy, "k8s/overlays/shared-uploads")]);
    assert.match(rendered.stdout, /image: registry\.acme\.internal\/team\/docker-chat:0\.1\.0/);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});
