// The compose files, checked with Debian's docker-compose 1.29 (`config -q` validates them
// against the compose schema it knows) and then, on the resolved configuration it prints,
// against what chatd and the other images expect.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import {
  ROOT, COMPOSE_FILES, COMPOSE_BROKERS, COMPOSE_STICKY, CHAT_IMAGE, run, requireTool, composeConfig, readRepo,
  parseEnvFile, parsePostgresUrl, sqliteDir, isUnder, imageRepo, imageTag, undocumented,
  notAllowedForImage, helpDefaultNumber, parseDockerfile, dockerEnv,
} from "./lib.mjs";

requireTool("docker-compose", "apt-get install docker-compose (scripts/setup.sh installs it)");

const configs = Object.fromEntries(COMPOSE_FILES.map((f) => [f, composeConfig(f)]));
const instrs = parseDockerfile(readRepo("Dockerfile"));
const IMAGE_ENV = dockerEnv(instrs, Math.max(...instrs.map((i) => i.stage)));

const isApp = (svc) => Boolean(svc.build) || imageRepo(svc.image ?? "") === CHAT_IMAGE;
function appOf(cfg) {
  const apps = Object.entries(cfg.services).filter(([, s]) => isApp(s));
  assert.equal(apps.length, 1, "exactly one chat service");
  return apps[0];
}
/** What chatd sees: the image's ENV defaults overridden by the service's environment. */
const appEnv = (svc) => ({ ...IMAGE_ENV, ...(svc.environment ?? {}) });
/** [{host_ip, published, target}] from both the short and the long port syntax. */
function ports(svc) {
  return (svc.ports ?? []).map((p) => {
    if (typeof p === "object") return { host_ip: p.host_ip ?? "", published: Number(p.published), target: Number(p.target) };
    const parts = String(p).replace(/\/(tcp|udp)$/, "").split(":");
    const target = Number(parts.pop());
    const published = parts.length ? Number(parts.pop()) : NaN;
    return { host_ip: parts.pop() ?? "", published, target };
  });
}
const durationMs = (d) => {
  const m = String(d).match(/^(\d+)(ms|s|m)$/);
  assert.ok(m, `duration ${d}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000 }[m[2]];
};
const mountTargets = (svc) => (svc.volumes ?? []).map((v) => (typeof v === "string"
  ? { source: v.split(":")[0], target: v.split(":")[1] }
  : { source: v.source, target: v.target }));

for (const file of COMPOSE_FILES) {
  test(`${file}: docker-compose config -q accepts it`, () => {
    const r = run("docker-compose", ["-f", file, "config", "-q"], { cwd: ROOT });
    assert.equal(r.code, 0, `docker-compose -f ${file} config -q:\n${r.stderr}`);
  });

  test(`${file}: images pinned, the app built from the Dockerfile`, () => {
    const cfg = configs[file];
    for (const [name, svc] of Object.entries(cfg.services)) {
      assert.ok(svc.image, `${name}: no image`);
      const tag = imageTag(svc.image);
      assert.ok(tag && tag !== "latest", `${name}: image ${svc.image} is not pinned to a version`);
      if (imageRepo(svc.image) === "traefik") {
        assert.match(tag, /^v3\.\d+\.\d+$/, "traefik: an exact v3 patch release, not a floating tag");
        // Docker Engine 29 refuses API versions below 1.44; traefik before v3.6.1 asked for 1.24
        // and its Docker provider made no routers (traefik#12253): 404 for every request.
        const [minor, patch] = tag.slice(3).split(".").map(Number);
        assert.ok(minor > 6 || (minor === 6 && patch >= 1), `traefik ${tag} predates v3.6.1 (Docker API negotiation)`);
      }
    }
    const [, app] = appOf(cfg);
    assert.equal(path.resolve(app.build.context), ROOT, "app: build context is the repository (the Dockerfile)");
  });

  test(`${file}: every service has a healthcheck; the app's is chatd --health-check, the database's pg_isready for its user and database`, () => {
    const cfg = configs[file];
    for (const [name, svc] of Object.entries(cfg.services)) {
      assert.ok(svc.healthcheck?.test, `${name}: no healthcheck`);
      assert.ok(!svc.healthcheck.disable && svc.healthcheck.test[0] !== "NONE", `${name}: healthcheck disabled`);
    }
    const [, app] = appOf(cfg);
    assert.deepEqual(app.healthcheck.test, ["CMD", "chatd", "--health-check"]);
    const db = cfg.services.db;
    assert.ok(db, "a db service");
    const hc = db.healthcheck.test.join(" ");
    assert.match(hc, /pg_isready/);
    // The user and database it checks are the ones the container is configured with
    // ($$ is compose's escape: the shell inside the container expands them).
    assert.match(hc, /-U "?\$\$\{?POSTGRES_USER\}?"?/);
    assert.match(hc, /-d "?\$\$\{?POSTGRES_DB\}?"?/);
    assert.match(hc, /-h 127\.0\.0\.1/, "over TCP, not the init-time Unix-socket server");
    for (const k of ["POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"]) assert.ok(db.environment?.[k], `db: ${k} set`);
  });

  test(`${file}: the app waits for a healthy database (and broker); the database publishes no port`, () => {
    const cfg = configs[file];
    const [, app] = appOf(cfg);
    assert.equal(app.depends_on?.db?.condition, "service_healthy");
    assert.deepEqual(cfg.services.db.ports ?? [], [], "db: no published port");
    const b = COMPOSE_BROKERS[file];
    if (b) {
      const host = appEnv(app)[b.hostVar];
      assert.equal(app.depends_on?.[host]?.condition, "service_healthy", `app waits for ${host}`);
    }
  });

  test(`${file}: DATABASE_URL is the db service with the credentials of postgres.env`, () => {
    const cfg = configs[file];
    const [, app] = appOf(cfg);
    const url = parsePostgresUrl(appEnv(app).DATABASE_URL);
    const pg = cfg.services.db.environment;
    assert.equal(url.host, "db");
    assert.equal(url.port, 5432);
    assert.equal(url.user, pg.POSTGRES_USER);
    assert.equal(url.password, pg.POSTGRES_PASSWORD);
    assert.equal(url.db, pg.POSTGRES_DB);
  });

  test(`${file}: environment names are chatd's (per chatd --help) or the other images' own`, () => {
    const cfg = configs[file];
    for (const [name, svc] of Object.entries(cfg.services)) {
      const names = Object.keys(svc.environment ?? {});
      const bad = isApp(svc) ? undocumented(names) : notAllowedForImage(svc.image, names);
      assert.deepEqual(bad, [], `${name}: unknown environment variables`);
    }
  });

  test(`${file}: ports match PORT, uploads and data paths are named volumes`, () => {
    const cfg = configs[file];
    const [, app] = appOf(cfg);
    const env = appEnv(app);
    for (const p of ports(app)) assert.equal(p.target, Number(env.PORT), "published container port is PORT");
    const mounts = mountTargets(app);
    const upload = mounts.find((m) => isUnder(env.UPLOAD_DIR, m.target));
    assert.ok(upload, `UPLOAD_DIR ${env.UPLOAD_DIR} is not a mounted volume`);
    const dbDir = sqliteDir(env.DATABASE_URL);
    if (dbDir) assert.ok(mounts.some((m) => isUnder(dbDir, m.target)), `sqlite directory ${dbDir} is not a volume`);
    for (const [name, svc] of Object.entries(cfg.services)) {
      for (const m of mountTargets(svc)) {
        if (m.source.startsWith("/")) {
          assert.equal(m.source, "/var/run/docker.sock", `${name}: bind mount ${m.source} (use a named volume)`);
          continue;
        }
        assert.ok(m.source in (cfg.volumes ?? {}), `${name}: volume ${m.source} not declared`);
      }
    }
    // Draining on SIGTERM needs more than CHAT_SHUTDOWN_GRACE_MS before docker's SIGKILL.
    const grace = Number(env.CHAT_SHUTDOWN_GRACE_MS ?? helpDefaultNumber("CHAT_SHUTDOWN_GRACE_MS", 10000));
    assert.ok(app.stop_grace_period, "app: stop_grace_period");
    const drain = Number(env.CHAT_DRAIN_DELAY_MS ?? 0);
    assert.ok(durationMs(app.stop_grace_period) > grace + drain,
      `stop_grace_period ${app.stop_grace_period} must exceed CHAT_DRAIN_DELAY_MS ${drain} + CHAT_SHUTDOWN_GRACE_MS ${grace}`);
  });

  test(`${file}: the image's /data volume gets no anonymous volume per container when PostgreSQL is used`, () => {
    const [, app] = appOf(configs[file]);
    if (sqliteDir(appEnv(app).DATABASE_URL)) return; // then /data is a named volume (checked above)
    const tmpfs = [app.tmpfs ?? []].flat().map((t) => String(t).split(":")[0]);
    const mounted = mountTargets(app).map((m) => m.target);
    assert.ok(tmpfs.includes("/data") || mounted.includes("/data"),
      `/data is a VOLUME of the image: without a mount there, every container gets an anonymous volume (${JSON.stringify(app.tmpfs)})`);
  });
}

for (const file of Object.keys(COMPOSE_BROKERS)) {
  test(`${file}: a stopping replica drains behind traefik (drain delay above the health-check interval)`, () => {
    const [, app] = appOf(configs[file]);
    const interval = durationMs(app.labels["traefik.http.services.chat.loadbalancer.healthcheck.interval"]);
    const timeout = durationMs(app.labels["traefik.http.services.chat.loadbalancer.healthcheck.timeout"]);
    const drain = Number(appEnv(app).CHAT_DRAIN_DELAY_MS ?? 0);
    // One full check (interval + timeout) and a second for traefik to update its routes.
    assert.ok(drain >= interval + timeout + 1000,
      `CHAT_DRAIN_DELAY_MS ${drain} should cover traefik's health check (${interval} + ${timeout} ms) and a margin`);
  });
}

test("docker-compose.yaml: one app on http://localhost:8888, SQLite not used", () => {
  const cfg = configs["docker-compose.yaml"];
  const [, app] = appOf(cfg);
  assert.deepEqual(ports(app).map((p) => [p.published, p.target]), [[8888, 8888]]);
  assert.equal(sqliteDir(appEnv(app).DATABASE_URL), null, "the basic setup uses PostgreSQL");
  assert.ok(!("proxy" in cfg.services), "no load balancer in the basic setup");
});

for (const [file, b] of Object.entries(COMPOSE_BROKERS)) {
  test(`${file}: scalable app (no container_name, no fixed host port) with ${b.broker} as the broker`, () => {
    const cfg = configs[file];
    const [, app] = appOf(cfg);
    assert.equal(app.container_name, undefined, "container_name prevents --scale");
    assert.deepEqual(app.ports ?? [], [], "a published host port prevents --scale");
    const env = appEnv(app);
    assert.equal(env.SCALABLE, "true");
    assert.equal(env.BROKER, b.broker);
    const host = env[b.hostVar];
    assert.ok(cfg.services[host], `${b.hostVar}=${host} is not a service of ${file}`);
    assert.equal(Number(env[b.portVar] ?? b.port), b.port);
    // Every replica serves every avatar: one shared named volume (or avatars in the database).
    if (env.BLOB_STORE !== "db") {
      const m = mountTargets(app).find((v) => isUnder(env.UPLOAD_DIR, v.target));
      assert.ok(m && m.source in cfg.volumes, "uploads on a named volume shared by the replicas");
    }
  });

  test(`${file}: traefik v3 routes app.docker.localhost round robin, without a sticky cookie, with /readyz health checks`, () => {
    const cfg = configs[file];
    const proxies = Object.entries(cfg.services).filter(([, s]) => imageRepo(s.image) === "traefik");
    assert.equal(proxies.length, 1, "one traefik service");
    const [, proxy] = proxies[0];
    const cmd = proxy.command.join(" ");
    assert.match(cmd, /--providers\.docker(=true)?\b/);
    assert.match(cmd, /--providers\.docker\.exposedbydefault=false/);
    assert.match(cmd, /--entrypoints\.web\.address=:80\b/);
    assert.ok((proxy.volumes ?? []).some((v) => String(v).startsWith("/var/run/docker.sock:/var/run/docker.sock:ro")),
      "docker socket, read-only");
    const pp = ports(proxy);
    assert.ok(pp.some((p) => p.published === 80 && p.target === 80), "web entry point on port 80");
    assert.ok(pp.some((p) => p.published === 8080 && p.target === 8080), "dashboard on port 8080");
    const [, app] = appOf(cfg);
    const l = app.labels ?? {};
    assert.equal(l["traefik.enable"], "true");
    assert.equal(l["traefik.http.routers.chat.rule"], "Host(`app.docker.localhost`)");
    assert.equal(l["traefik.http.routers.chat.entrypoints"], "web");
    // No affinity (issue #14): chatd forwards a request for another replica's session there.
    assert.deepEqual(Object.keys(l).filter((k) => /\.sticky\b/.test(k)), [], "no sticky label");
    assert.equal(l["traefik.http.services.chat.loadbalancer.strategy"] ?? "wrr", "wrr", "traefik's default round robin");
    assert.equal(Number(l["traefik.http.services.chat.loadbalancer.server.port"]), Number(appEnv(app).PORT));
    assert.equal(l["traefik.http.services.chat.loadbalancer.healthcheck.path"], "/readyz");
    // Every traefik label names the router/service that the others use.
    for (const k of Object.keys(l)) if (k.startsWith("traefik.http.")) assert.match(k, /^traefik\.http\.(routers|services)\.chat\./);
  });

  test(`${file} + ${COMPOSE_STICKY}: docker-compose config -q accepts them; traefik's sticky cookie added, nothing else changed`, () => {
    const r = run("docker-compose", ["-f", file, "-f", COMPOSE_STICKY, "config", "-q"], { cwd: ROOT });
    assert.equal(r.code, 0, `docker-compose -f ${file} -f ${COMPOSE_STICKY} config -q:\n${r.stderr}`);
    const plain = configs[file];
    const sticky = composeConfig(file, COMPOSE_STICKY);
    const [name, app] = appOf(sticky);
    const l = app.labels;
    assert.equal(l["traefik.http.services.chat.loadbalancer.sticky.cookie"], "true");
    assert.equal(l["traefik.http.services.chat.loadbalancer.sticky.cookie.name"], "SERVERID");
    assert.equal(l["traefik.http.services.chat.loadbalancer.sticky.cookie.httponly"], "true");
    assert.equal(l["traefik.http.services.chat.loadbalancer.sticky.cookie.samesite"], "lax");
    for (const k of Object.keys(l)) if (k.startsWith("traefik.http.")) assert.match(k, /^traefik\.http\.(routers|services)\.chat\./);
    // The setup's own labels are all still there, and nothing but labels differs.
    const added = Object.fromEntries(Object.entries(l).filter(([k]) => !(k in plain.services[name].labels)));
    assert.deepEqual(Object.keys(added).sort(), Object.keys(added).filter((k) => /\.sticky\b/.test(k)).sort());
    assert.deepEqual({ ...sticky, services: { ...sticky.services, [name]: { ...app, labels: null } } },
      { ...plain, services: { ...plain.services, [name]: { ...plain.services[name], labels: null } } });
  });
}

test("docker-compose.rabbit.yaml: RabbitMQ management on 15672, the app's account is RabbitMQ's", () => {
  const cfg = configs["docker-compose.rabbit.yaml"];
  const [, app] = appOf(cfg);
  const env = appEnv(app);
  const rabbit = cfg.services[env.RABBIT_HOST];
  assert.match(rabbit.image, /^rabbitmq:[\d.]+-management$/);
  assert.ok(ports(rabbit).some((p) => p.published === 15672 && p.target === 15672));
  assert.equal(env.RABBIT_USER, rabbit.environment.RABBITMQ_DEFAULT_USER);
  assert.equal(env.RABBIT_PASSWORD, rabbit.environment.RABBITMQ_DEFAULT_PASS);
  assert.notEqual(env.RABBIT_USER, "guest", "guest only connects from localhost");
});

test("docker-compose.nats.yaml: NATS monitoring on 8222, checked by the healthcheck", () => {
  const cfg = configs["docker-compose.nats.yaml"];
  const [, app] = appOf(cfg);
  const nats = cfg.services[appEnv(app).NATS_HOST];
  assert.ok(ports(nats).some((p) => p.published === 8222 && p.target === 8222));
  const args = nats.command.join(" ");
  assert.match(args, /(-m|--http_port) 8222\b/, "monitoring enabled on 8222");
  assert.match(nats.healthcheck.test.join(" "), /127\.0\.0\.1:8222\/healthz/);
});

test("the compose env files: the app's DATABASE_URL agrees with postgres.env", () => {
  const pg = parseEnvFile(readRepo("deploy/compose/postgres.env"));
  const chat = parseEnvFile(readRepo("deploy/compose/chat.env"));
  const url = parsePostgresUrl(chat.DATABASE_URL);
  assert.deepEqual([url.user, url.password, url.db], [pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, pg.POSTGRES_DB]);
  assert.deepEqual(undocumented(Object.keys(chat)), []);
  assert.deepEqual(notAllowedForImage("postgres", Object.keys(pg)), []);
});

test("docker-compose 1.29 rejects keys it does not know (the check can fail)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chat-compose-"));
  try {
    const text = readRepo("docker-compose.yaml").replace("      retries: 3\n", "      retries: 3\n      start_interval: 1s\n");
    assert.notEqual(text, readRepo("docker-compose.yaml"));
    fs.writeFileSync(path.join(dir, "docker-compose.yaml"), text);
    const r = run("docker-compose", ["-f", path.join(dir, "docker-compose.yaml"), "config", "-q"]);
    assert.notEqual(r.code, 0, "healthcheck.start_interval should be rejected by docker-compose 1.29");
    assert.match(r.stderr, /start_interval/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
