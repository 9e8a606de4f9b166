// The Kubernetes manifests: every kustomization renders offline (kubectl kustomize), every
// rendered object passes the API schema (npm kubernetes-models), and the objects fit together:
// selectors, probes, ports, references to ConfigMaps and Secrets, settings, volumes, replicas.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import * as models from "kubernetes-models";
import {
  ROOT, K8S_BASE, K8S_OVERLAYS, K8S_COMPONENTS, K8S_NO_AFFINITY, NGINX_AFFINITY_ANNOTATIONS, CHAT_IMAGE, requireTool,
  kustomize, parsePostgresUrl, imageRepo, imageTag, undocumented, notAllowedForImage, isUnder,
} from "./lib.mjs";

requireTool("kubectl", "kubectl (with kustomize v5) renders the kustomizations; install it from Kubernetes' " +
  "apt repository, see docs/DEPLOYMENT.md");

const DIRS = [K8S_BASE, ...Object.keys(K8S_OVERLAYS).map((o) => `deploy/k8s/overlays/${o}`)];
const rendered = {};
const render = (dir) => (rendered[dir] ??= kustomize(dir));
const ALLOWED_API = new Set(["v1", "apps/v1", "policy/v1", "networking.k8s.io/v1", "autoscaling/v2"]);
const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);
const SOURCES = ["emptyDir", "persistentVolumeClaim", "configMap", "secret", "hostPath", "nfs", "projected",
  "downwardAPI", "csi", "ephemeral"];

/** The kubernetes-models class for an object's apiVersion and kind. */
function modelClass(obj) {
  const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
  const ns = group === "" ? models : models[group.replace(/\.([a-z])/g, (_, c) => c.toUpperCase()).replace(/\./g, "")];
  const cls = ns?.[version]?.[obj.kind];
  return typeof cls === "function" ? cls : null;
}
const id = (o) => `${o.kind}/${o.metadata?.name}`;
const find = (objs, kind, name) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const workloads = (objs) => objs.filter((o) => WORKLOADS.has(o.kind));
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
const chatDeployment = (objs) => {
  const d = find(objs, "Deployment", "chat");
  assert.ok(d, "Deployment/chat");
  return d;
};
const chatContainer = (objs) => {
  const c = chatDeployment(objs).spec.template.spec.containers.find((x) => x.name === "chat");
  assert.ok(c, "container chat");
  return c;
};
/** The chat container's environment as chatd sees it: ConfigMap (envFrom) then env values. */
function chatSettings(objs) {
  const c = chatContainer(objs);
  const env = {};
  for (const ef of c.envFrom ?? []) {
    if (ef.configMapRef) Object.assign(env, find(objs, "ConfigMap", ef.configMapRef.name)?.data);
    if (ef.secretRef) Object.assign(env, find(objs, "Secret", ef.secretRef.name)?.stringData);
  }
  for (const e of c.env ?? []) env[e.name] = e.value ?? secretValue(objs, e.valueFrom?.secretKeyRef) ?? `<${e.name}>`;
  return env;
}
function secretValue(objs, ref) {
  if (!ref) return undefined;
  const s = find(objs, "Secret", ref.name);
  return s?.stringData?.[ref.key] ?? (s?.data?.[ref.key] && Buffer.from(s.data[ref.key], "base64").toString());
}
/** A container port by number or name. */
function resolvePort(container, port) {
  return typeof port === "number" ? port : container.ports?.find((p) => p.name === port)?.containerPort;
}

for (const dir of DIRS) {
  test(`${dir}: kubectl kustomize renders it`, () => {
    const objs = render(dir);
    assert.ok(objs.length >= 8, `${objs.length} objects`);
    assert.ok(objs.every((o) => o.kind === "Namespace" || o.metadata.namespace === "docker-chat"), "all in docker-chat");
  });

  test(`${dir}: every object passes the kubernetes-models schema, with current API versions`, () => {
    for (const obj of render(dir)) {
      assert.ok(ALLOWED_API.has(obj.apiVersion), `${id(obj)}: apiVersion ${obj.apiVersion}`);
      const Cls = modelClass(obj);
      assert.ok(Cls, `${id(obj)}: no model for ${obj.apiVersion} ${obj.kind}`);
      try {
        new Cls(obj).validate();
      } catch (e) {
        assert.fail(`${id(obj)}: ${e.message}`);
      }
    }
  });

  test(`${dir}: selectors match pod templates (workloads, Services, PDBs, NetworkPolicies)`, () => {
    const objs = render(dir);
    const pods = workloads(objs).map((w) => ({ w, labels: w.spec.template.metadata.labels }));
    for (const { w, labels } of pods) {
      const sel = w.spec.selector.matchLabels;
      assert.ok(sel && Object.keys(sel).length, `${id(w)}: matchLabels`);
      assert.ok(matches(sel, labels), `${id(w)}: selector ${JSON.stringify(sel)} vs template ${JSON.stringify(labels)}`);
      for (const other of pods) {
        if (other.w !== w) assert.ok(!matches(sel, other.labels), `${id(w)} also selects the pods of ${id(other.w)}`);
      }
    }
    for (const svc of objs.filter((o) => o.kind === "Service")) {
      const hit = pods.filter((p) => matches(svc.spec.selector, p.labels));
      assert.equal(hit.length, 1, `Service/${svc.metadata.name} selects ${hit.length} workloads`);
      for (const port of svc.spec.ports) {
        const containers = hit[0].w.spec.template.spec.containers;
        const target = port.targetPort ?? port.port;
        assert.ok(containers.some((c) => resolvePort(c, target) !== undefined),
          `Service/${svc.metadata.name} port ${port.name}: targetPort ${target} is no container port of ${id(hit[0].w)}`);
      }
    }
    for (const sts of objs.filter((o) => o.kind === "StatefulSet")) {
      const svc = find(objs, "Service", sts.spec.serviceName);
      assert.ok(svc, `${id(sts)}: serviceName ${sts.spec.serviceName}`);
      assert.equal(svc.spec.clusterIP, "None", `${id(sts)}: its Service is headless`);
      assert.ok(sts.spec.volumeClaimTemplates?.length, `${id(sts)}: volumeClaimTemplates`);
    }
    const chatLabels = chatDeployment(objs).spec.template.metadata.labels;
    const pdbs = objs.filter((o) => o.kind === "PodDisruptionBudget");
    assert.ok(pdbs.length >= 1, "a PodDisruptionBudget");
    for (const pdb of pdbs) assert.ok(matches(pdb.spec.selector.matchLabels, chatLabels), `PDB/${pdb.metadata.name} selects the chat pods`);
    for (const np of objs.filter((o) => o.kind === "NetworkPolicy")) {
      assert.ok(pods.some((p) => matches(np.spec.podSelector.matchLabels, p.labels)), `NetworkPolicy/${np.metadata.name} selects no pods`);
      for (const rule of np.spec.ingress ?? []) {
        for (const from of rule.from ?? []) {
          if (from.podSelector) assert.ok(pods.some((p) => matches(from.podSelector.matchLabels, p.labels)),
            `NetworkPolicy/${np.metadata.name}: a from-selector selects no pods`);
        }
      }
    }
  });

  test(`${dir}: referenced ConfigMaps, Secrets, keys, claims and volumes exist; each volume has one source`, () => {
    const objs = render(dir);
    for (const w of workloads(objs)) {
      const spec = w.spec.template.spec;
      const claims = new Set((w.spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name));
      const volumes = new Set([...(spec.volumes ?? []).map((v) => v.name), ...claims]);
      for (const v of spec.volumes ?? []) {
        const src = SOURCES.filter((s) => v[s] !== undefined && v[s] !== null);
        assert.equal(src.length, 1, `${id(w)} volume ${v.name}: sources ${src}`);
        if (v.persistentVolumeClaim) assert.ok(find(objs, "PersistentVolumeClaim", v.persistentVolumeClaim.claimName), `${id(w)}: PVC ${v.persistentVolumeClaim.claimName}`);
      }
      for (const c of spec.containers) {
        for (const m of c.volumeMounts ?? []) assert.ok(volumes.has(m.name), `${id(w)}/${c.name}: volume ${m.name}`);
        for (const ef of c.envFrom ?? []) {
          if (ef.configMapRef) assert.ok(find(objs, "ConfigMap", ef.configMapRef.name), `${id(w)}: ConfigMap ${ef.configMapRef.name}`);
          if (ef.secretRef) assert.ok(find(objs, "Secret", ef.secretRef.name), `${id(w)}: Secret ${ef.secretRef.name}`);
        }
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
          if (!ref) continue;
          const kind = e.valueFrom.secretKeyRef ? "Secret" : "ConfigMap";
          const o = find(objs, kind, ref.name);
          assert.ok(o, `${id(w)}/${c.name} ${e.name}: ${kind} ${ref.name}`);
          assert.ok(ref.key in { ...o.data, ...o.stringData }, `${id(w)}/${c.name} ${e.name}: key ${ref.key} of ${kind}/${ref.name}`);
        }
      }
    }
    for (const ing of objs.filter((o) => o.kind === "Ingress")) {
      for (const rule of ing.spec.rules) {
        for (const p of rule.http.paths) {
          const svc = find(objs, "Service", p.backend.service.name);
          assert.ok(svc, `Ingress/${ing.metadata.name}: Service ${p.backend.service.name}`);
          const want = p.backend.service.port;
          assert.ok(svc.spec.ports.some((sp) => sp.name === want.name || sp.port === want.number),
            `Ingress/${ing.metadata.name}: port ${JSON.stringify(want)} of Service/${svc.metadata.name}`);
        }
      }
    }
  });

  test(`${dir}: the chat pods: probes on /readyz and /healthz at PORT, non-root, resources, drain time`, () => {
    const objs = render(dir);
    const dep = chatDeployment(objs);
    const c = chatContainer(objs);
    const env = chatSettings(objs);
    assert.equal(env.PORT, "8888");
    const http = c.ports.find((p) => p.containerPort === Number(env.PORT));
    assert.ok(http, "a container port equal to PORT");
    assert.equal(c.ports.length, 1);
    for (const [probe, pathWanted] of [["readinessProbe", "/readyz"], ["livenessProbe", "/healthz"]]) {
      const g = c[probe]?.httpGet;
      assert.ok(g, `${probe}: httpGet`);
      assert.equal(g.path, pathWanted, probe);
      assert.equal(resolvePort(c, g.port), Number(env.PORT), `${probe} port`);
    }
    if (c.startupProbe) assert.equal(c.startupProbe.httpGet?.path, "/healthz");
    const psc = dep.spec.template.spec.securityContext ?? {};
    const csc = c.securityContext ?? {};
    assert.equal(psc.runAsNonRoot ?? csc.runAsNonRoot, true, "runAsNonRoot");
    assert.ok((csc.runAsUser ?? psc.runAsUser) > 0, "a non-zero uid");
    assert.equal(csc.allowPrivilegeEscalation, false);
    assert.deepEqual(csc.capabilities?.drop, ["ALL"]);
    const grace = Number(env.CHAT_SHUTDOWN_GRACE_MS ?? 10000);
    const delay = Number(env.CHAT_DRAIN_DELAY_MS ?? 0);
    const preStop = c.lifecycle?.preStop?.exec?.command;
    const pause = preStop?.[0] === "sleep" ? Number(preStop[1]) * 1000 : 0;
    assert.ok(dep.spec.template.spec.terminationGracePeriodSeconds * 1000 > grace + delay + pause,
      `terminationGracePeriodSeconds must exceed CHAT_DRAIN_DELAY_MS (${delay}) + CHAT_SHUTDOWN_GRACE_MS (${grace}) + preStop (${pause} ms)`);
    assert.ok(delay > 0, "CHAT_DRAIN_DELAY_MS gives the Service and the ingress time to stop sending before clients move");
    // The web UI is in the image (CHAT_WEB_DIR default), the sqlite default is not used.
    const db = parsePostgresUrl(env.DATABASE_URL);
    const svc = find(objs, "Service", db.host);
    assert.ok(svc, `DATABASE_URL host ${db.host} is a Service`);
    assert.ok(svc.spec.ports.some((p) => p.port === db.port), "DATABASE_URL port is the Service's");
  });

  test(`${dir}: every container has resource requests and limits, a pinned image, probes on its own ports`, () => {
    for (const w of workloads(render(dir))) {
      for (const c of w.spec.template.spec.containers) {
        assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${id(w)}/${c.name}: requests`);
        assert.ok(c.resources?.limits?.memory, `${id(w)}/${c.name}: memory limit`);
        const tag = imageTag(c.image);
        assert.ok(tag && tag !== "latest", `${id(w)}/${c.name}: image ${c.image} not pinned`);
        assert.ok(c.readinessProbe, `${id(w)}/${c.name}: readinessProbe`);
        for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
          const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port;
          if (port === undefined) continue;
          assert.ok(c.ports?.some((p) => p.name === port || p.containerPort === port),
            `${id(w)}/${c.name} ${probe}: port ${port} is not a container port`);
        }
      }
    }
  });

  test(`${dir}: environment names are chatd's (per chatd --help) or the other images' own`, () => {
    const objs = render(dir);
    for (const cm of objs.filter((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("chat-config"))) {
      assert.deepEqual(undocumented(Object.keys(cm.data)), [], `${id(cm)}: settings chatd does not know`);
    }
    for (const w of workloads(objs)) {
      for (const c of w.spec.template.spec.containers) {
        const names = (c.env ?? []).map((e) => e.name);
        for (const ef of c.envFrom ?? []) {
          const o = find(objs, ef.configMapRef ? "ConfigMap" : "Secret", (ef.configMapRef ?? ef.secretRef).name);
          names.push(...Object.keys({ ...o.data, ...o.stringData }).map((k) => `${ef.prefix ?? ""}${k}`));
        }
        const bad = imageRepo(c.image) === CHAT_IMAGE ? undocumented(names) : notAllowedForImage(c.image, names);
        assert.deepEqual(bad, [], `${id(w)}/${c.name}: unknown environment variables`);
      }
    }
  });

  test(`${dir}: credentials agree: DATABASE_URL carries the PostgreSQL user, password and database`, () => {
    const objs = render(dir);
    const env = chatSettings(objs);
    const url = parsePostgresUrl(env.DATABASE_URL);
    const pg = find(objs, "StatefulSet", "postgres").spec.template.spec.containers[0];
    const pgEnv = Object.fromEntries(pg.env.map((e) => [e.name, e.value ?? secretValue(objs, e.valueFrom?.secretKeyRef)]));
    assert.deepEqual([url.user, url.password, url.db], [pgEnv.POSTGRES_USER, pgEnv.POSTGRES_PASSWORD, pgEnv.POSTGRES_DB]);
    assert.ok(!objs.some((o) => o.kind === "ConfigMap" && /PASSWORD|DATABASE_URL/.test(Object.keys(o.data ?? {}).join())),
      "no credentials in a ConfigMap");
  });

  test(`${dir}: UPLOAD_DIR is a volume; several replicas share avatars (BLOB_STORE=db or a ReadWriteMany claim)`, () => {
    const objs = render(dir);
    const dep = chatDeployment(objs);
    const c = chatContainer(objs);
    const env = chatSettings(objs);
    const mount = (c.volumeMounts ?? []).find((m) => isUnder(env.UPLOAD_DIR ?? "./uploads", m.mountPath));
    assert.ok(mount, `UPLOAD_DIR ${env.UPLOAD_DIR} is not mounted (read-only root filesystem)`);
    const vol = dep.spec.template.spec.volumes.find((v) => v.name === mount.name);
    if ((dep.spec.replicas ?? 1) > 1 && env.BLOB_STORE !== "db") {
      const pvc = find(objs, "PersistentVolumeClaim", vol.persistentVolumeClaim?.claimName);
      assert.ok(pvc?.spec.accessModes.includes("ReadWriteMany"), "uploads on a ReadWriteMany claim");
    }
  });
}

test(`${K8S_BASE}: one server, no broker, an Ingress with cookie affinity for ingress-nginx`, () => {
  const objs = render(K8S_BASE);
  assert.equal(chatDeployment(objs).spec.replicas, 1);
  const env = chatSettings(objs);
  assert.equal(env.SCALABLE, "false");
  const ing = find(objs, "Ingress", "chat");
  assert.equal(ing.spec.ingressClassName, "nginx");
  const a = ing.metadata.annotations;
  assert.equal(a["nginx.ingress.kubernetes.io/affinity"], "cookie");
  assert.ok(a["nginx.ingress.kubernetes.io/session-cookie-name"]);
  assert.ok(Number(a["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 60, "long-polls and WebSockets outlive 60 s");
  assert.ok(a["nginx.ingress.kubernetes.io/proxy-body-size"], "avatars up to 5 MiB");
  const pvc = find(objs, "StatefulSet", "postgres").spec.volumeClaimTemplates[0];
  assert.ok(pvc.spec.resources.requests.storage);
  const secret = find(objs, "Secret", "chat-credentials");
  assert.ok(secret, "credentials in a Secret");
});

for (const [name, o] of Object.entries(K8S_OVERLAYS)) {
  const dir = `deploy/k8s/overlays/${name}`;
  test(`${dir}: 3 replicas, SCALABLE with ${o.broker} at its Service, ${o.sharedUploads ? "avatars on the shared volume" : "avatars in the database"}`, () => {
    const objs = render(dir);
    assert.equal(chatDeployment(objs).spec.replicas, 3);
    const env = chatSettings(objs);
    assert.equal(env.SCALABLE, "true");
    assert.equal(env.BROKER, o.broker);
    const svc = find(objs, "Service", env[o.hostVar]);
    assert.ok(svc, `${o.hostVar}=${env[o.hostVar]} is a Service`);
    assert.ok(svc.spec.ports.some((p) => p.port === Number(env[o.portVar])), `${o.portVar}=${env[o.portVar]} is a port of it`);
    assert.equal(env.BLOB_STORE, o.sharedUploads ? "fs" : "db");
    if (name === "rabbit") {
      assert.ok(env.RABBIT_USER && env.RABBIT_USER !== "guest", "an account of its own (guest is localhost-only)");
      const rmq = find(objs, "Deployment", "rabbitmq").spec.template.spec.containers[0];
      const rEnv = Object.fromEntries(rmq.env.map((e) => [e.name, secretValue(objs, e.valueFrom?.secretKeyRef) ?? e.value]));
      assert.equal(env.RABBIT_USER, rEnv.RABBITMQ_DEFAULT_USER);
      assert.equal(env.RABBIT_PASSWORD, rEnv.RABBITMQ_DEFAULT_PASS);
      assert.match(rmq.image, /-management$/);
    }
  });
}

/**
 * Renders every broker overlay with `components` added (a kustomization written in a temporary
 * directory) and calls `check(objs, broker)` on each rendering.
 */
function forEachBrokerWith(components, check) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chat-kustomize-"));
  try {
    for (const broker of ["redis", "rabbit", "nats"]) {
      const dir = path.join(tmp, broker);
      fs.mkdirSync(dir);
      const rel = (p) => path.relative(dir, path.join(ROOT, p));
      fs.writeFileSync(path.join(dir, "kustomization.yaml"), [
        "apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization",
        "resources:", `  - ${rel(`deploy/k8s/overlays/${broker}`)}`,
        "components:", ...components.map((c) => `  - ${rel(c)}`), ""].join("\n"));
      check(kustomize(dir, tmp), broker);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

test("components/shared-uploads composes with every broker overlay", () => {
  forEachBrokerWith(K8S_COMPONENTS, (objs, broker) => {
      const env = chatSettings(objs);
      assert.equal(env.BLOB_STORE, "fs", broker);
      assert.equal(env.SCALABLE, "true", broker);
      const vol = chatDeployment(objs).spec.template.spec.volumes.find((v) => v.name === "uploads");
      assert.deepEqual(Object.keys(vol).sort(), ["name", "persistentVolumeClaim"], `${broker}: ${JSON.stringify(vol)}`);
      const pvc = find(objs, "PersistentVolumeClaim", vol.persistentVolumeClaim.claimName);
      assert.deepEqual(pvc.spec.accessModes, ["ReadWriteMany"]);
  });
});

/** The Ingress and the chat Service of a rendering: with cookie affinity, or plainly without. */
function affinity(objs) {
  const ing = find(objs, "Ingress", "chat");
  const svc = find(objs, "Service", "chat");
  assert.ok(ing && svc, "Ingress/chat and Service/chat");
  return { annotations: ing.metadata.annotations ?? {}, sessionAffinity: svc.spec.sessionAffinity };
}

test("the broker overlays keep ingress-nginx's cookie affinity (saves the forwarding hop)", () => {
  for (const name of Object.keys(K8S_OVERLAYS).filter((n) => !K8S_OVERLAYS[n].noAffinity)) {
    const a = affinity(render(`deploy/k8s/overlays/${name}`)).annotations;
    assert.equal(a["nginx.ingress.kubernetes.io/affinity"], "cookie", name);
    assert.equal(a["nginx.ingress.kubernetes.io/affinity-mode"], "persistent", name);
  }
});

test("overlays/no-affinity: an Ingress without any affinity annotation, a plain Service, the rest as the redis overlay", () => {
  const objs = render("deploy/k8s/overlays/no-affinity");
  const { annotations, sessionAffinity } = affinity(objs);
  for (const k of NGINX_AFFINITY_ANNOTATIONS) assert.equal(annotations[k], undefined, `${k} is still set`);
  assert.deepEqual(Object.keys(annotations).filter((k) => /affinity|session-cookie|upstream-hash-by/.test(k)), [],
    "no other affinity or hashing annotation");
  // What the Ingress still needs for long-polls, WebSockets and uploads stays.
  assert.ok(Number(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 60);
  assert.ok(annotations["nginx.ingress.kubernetes.io/proxy-body-size"]);
  assert.equal(sessionAffinity, "None");
  // Everything else is the redis overlay's: the same objects, apart from those two.
  const redis = render("deploy/k8s/overlays/redis");
  const strip = (list) => list.filter((o) => !["Ingress", "Service"].includes(o.kind) || o.metadata.name !== "chat");
  assert.deepEqual(strip(objs), strip(redis));
  // The base's affinity annotations are exactly the ones the component removes (a new one added
  // to the base must be removed there too).
  const base = Object.keys(affinity(render(K8S_BASE)).annotations).filter((k) => /affinity|session-cookie/.test(k));
  assert.deepEqual(base.sort(), [...NGINX_AFFINITY_ANNOTATIONS].sort());
});

test("components/no-affinity composes with every broker overlay", () => {
  forEachBrokerWith([K8S_NO_AFFINITY], (objs, broker) => {
      const { annotations, sessionAffinity } = affinity(objs);
      for (const k of NGINX_AFFINITY_ANNOTATIONS) assert.equal(annotations[k], undefined, `${broker}: ${k}`);
      assert.equal(sessionAffinity, "None", broker);
      assert.equal(chatSettings(objs).SCALABLE, "true", broker);
      for (const obj of objs) new (modelClass(obj))(obj).validate();
  });
});

test("the schema check can fail: kubernetes-models rejects a wrong type and a wrong enum value", () => {
  const dep = structuredClone(chatDeployment(render(K8S_BASE)));
  dep.spec.template.spec.containers[0].ports[0].containerPort = "8888";
  assert.throws(() => new (modelClass(dep))(dep).validate(), /containerPort/);
  const svc = structuredClone(find(render(K8S_BASE), "Service", "chat"));
  svc.spec.type = "LoadBalancr";
  assert.throws(() => new (modelClass(svc))(svc).validate(), /type/);
  assert.equal(modelClass({ apiVersion: "extensions/v1beta1", kind: "Ingress" }) && ALLOWED_API.has("extensions/v1beta1"), false);
});
