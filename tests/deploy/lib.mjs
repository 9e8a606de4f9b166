// Shared helpers of the deployment-file tests (issue #5): the repository's paths, running the
// offline validators (docker-compose 1.29, kubectl kustomize, dockerfile-utils), what
// `chatd --help` documents, and small parsers (env files, DATABASE_URL, the Dockerfile).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const TESTS = path.join(ROOT, "tests");

export const COMPOSE_FILES = [
  "docker-compose.yaml",
  "docker-compose.redis.yaml",
  "docker-compose.rabbit.yaml",
  "docker-compose.nats.yaml",
];
// The scalable compose setups: which broker, its service and chatd's host variable.
export const COMPOSE_BROKERS = {
  "docker-compose.redis.yaml": { broker: "redis", hostVar: "REDIS_HOST", portVar: "REDIS_PORT", port: 6379 },
  "docker-compose.rabbit.yaml": { broker: "amqp", hostVar: "RABBIT_HOST", portVar: "RABBIT_PORT", port: 5672 },
  "docker-compose.nats.yaml": { broker: "nats", hostVar: "NATS_HOST", portVar: "NATS_PORT", port: 4222 },
};

export const K8S_BASE = "deploy/k8s/base";
export const K8S_OVERLAYS = {
  redis: { broker: "redis", hostVar: "REDIS_HOST", portVar: "REDIS_PORT" },
  rabbit: { broker: "amqp", hostVar: "RABBIT_HOST", portVar: "RABBIT_PORT" },
  nats: { broker: "nats", hostVar: "NATS_HOST", portVar: "NATS_PORT" },
  "shared-uploads": { broker: "redis", hostVar: "REDIS_HOST", portVar: "REDIS_PORT", sharedUploads: true },
  "no-affinity": { broker: "redis", hostVar: "REDIS_HOST", portVar: "REDIS_PORT", noAffinity: true },
};
// Components that change where avatars live (composed with every broker overlay in k8s.test.mjs).
export const K8S_COMPONENTS = ["deploy/k8s/components/shared-uploads"];
// The component that turns session affinity off (issue #14), and the Ingress annotations it removes.
export const K8S_NO_AFFINITY = "deploy/k8s/components/no-affinity";
export const NGINX_AFFINITY_ANNOTATIONS = [
  "nginx.ingress.kubernetes.io/affinity",
  "nginx.ingress.kubernetes.io/affinity-mode",
  "nginx.ingress.kubernetes.io/session-cookie-name",
  "nginx.ingress.kubernetes.io/session-cookie-path",
  "nginx.ingress.kubernetes.io/session-cookie-samesite",
  "nginx.ingress.kubernetes.io/session-cookie-change-on-failure",
];
// The override that adds traefik's sticky cookie to a scalable compose setup (issue #14: the
// setups themselves balance without affinity).
export const COMPOSE_STICKY = "deploy/compose/sticky.yaml";

// Environment variables of the other images, per image (repository name without the tag).
// Anything else set on their containers is a mistake (a typo, or a chatd setting on the
// wrong container).
export const IMAGE_ENV_ALLOW = {
  postgres: ["POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "PGDATA", "POSTGRES_INITDB_ARGS",
    "POSTGRES_HOST_AUTH_METHOD"],
  rabbitmq: ["RABBITMQ_DEFAULT_USER", "RABBITMQ_DEFAULT_PASS", "RABBITMQ_DEFAULT_VHOST"],
  redis: [],
  nats: [],
  traefik: [],
};

export const CHAT_IMAGE = "docker-chat";

/** Runs a command; never throws for a non-zero exit. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000, maxBuffer: 64 << 20, ...opts });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? "", stderr: r.stderr ?? "", error: r.error };
}

/** Fails (never skips) when a validator the tests need is not installed. */
export function requireTool(cmd, hint) {
  const r = run("sh", ["-c", `command -v ${cmd}`]);
  if (r.code !== 0) {
    throw new Error(`${cmd} is not installed: ${hint}. These tests validate the deployment files ` +
      `offline with it and fail rather than skip without it.`);
  }
}

// ---- chatd --help ----
let helpCache;
/** The settings chatd documents: {env: Map(NAME -> default string), text}. */
export function chatdHelp() {
  if (helpCache) return helpCache;
  const bin = process.env.CHATD;
  if (!bin) throw new Error("CHATD is not set: ctest passes the chatd binary as $CHATD ($<TARGET_FILE:chatd>)");
  const r = run(bin, ["--help"], { env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" } });
  if (r.code !== 0) throw new Error(`${bin} --help exited ${r.code}: ${r.stderr}`);
  const env = new Map();
  for (const line of r.stdout.split("\n")) {
    if (!/^\s+--[a-z]/.test(line)) continue;
    const t = line.trim().split(/\s+/);
    let i = 1;
    if (t[i] === "VALUE") i++;
    if (t[i] && /^[A-Z][A-Z0-9_]*$/.test(t[i])) env.set(t[i], t[i + 1] ?? "");
  }
  if (env.size < 10 || !env.has("PORT")) throw new Error(`could not read the settings from chatd --help:\n${r.stdout}`);
  helpCache = { env, text: r.stdout };
  return helpCache;
}

/** A numeric default from --help, or the fallback when chatd does not print one. */
export function helpDefaultNumber(name, fallback) {
  const v = chatdHelp().env.get(name);
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : fallback;
}

/** Names not documented by chatd --help. */
export function undocumented(names) {
  const { env } = chatdHelp();
  return [...names].filter((n) => !env.has(n));
}

/** Names outside the allow-list of the image (by repository name). */
export function notAllowedForImage(image, names) {
  const repo = imageRepo(image);
  const allow = IMAGE_ENV_ALLOW[repo];
  if (!allow) throw new Error(`no environment allow-list for image ${image} (add one to tests/deploy/lib.mjs)`);
  return [...names].filter((n) => !allow.includes(n));
}

/** "postgres" for "postgres:16.15-bookworm", "traefik" for "docker.io/library/traefik:v3.7.13". */
export function imageRepo(image) {
  const noDigest = image.split("@")[0];
  const lastSlash = noDigest.lastIndexOf("/");
  const nameTag = noDigest.slice(lastSlash + 1);
  return nameTag.split(":")[0];
}
export function imageTag(image) {
  const noDigest = image.split("@")[0];
  const nameTag = noDigest.slice(noDigest.lastIndexOf("/") + 1);
  const i = nameTag.indexOf(":");
  return i < 0 ? "" : nameTag.slice(i + 1);
}

// ---- files ----
export function readRepo(rel) {
  return fs.readFileSync(path.join(ROOT, rel), "utf8");
}

/** KEY=VALUE lines (comments and blank lines skipped), as docker-compose reads env files. */
export function parseEnvFile(text) {
  const out = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const i = line.indexOf("=");
    if (i < 0) throw new Error(`env file line without '=': ${line}`);
    out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** postgres://USER:PASSWORD@HOST:PORT/DB, decoded. */
export function parsePostgresUrl(url) {
  const u = new URL(url);
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") throw new Error(`not a postgres URL: ${url}`);
  return {
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    host: u.hostname,
    port: u.port ? Number(u.port) : 5432,
    db: decodeURIComponent(u.pathname.replace(/^\//, "")),
  };
}

/** The directory of a sqlite:PATH DATABASE_URL, or null for other URLs. */
export function sqliteDir(url) {
  if (!url?.startsWith("sqlite:")) return null;
  return path.posix.dirname(url.slice("sqlite:".length));
}

/** Is `p` the directory `dir` or inside it? */
export function isUnder(p, dir) {
  const rel = path.posix.relative(dir, p);
  return rel === "" || (!rel.startsWith("..") && !path.posix.isAbsolute(rel));
}

// ---- docker-compose ----
/** `docker-compose -f FILE [-f MORE...] config` (resolved: env files merged into environment). */
export function composeConfig(file, ...more) {
  const args = [file, ...more].flatMap((f) => ["-f", f]);
  const r = run("docker-compose", [...args, "config"], { cwd: ROOT });
  if (r.code !== 0) throw new Error(`docker-compose ${args.join(" ")} config exited ${r.code}:\n${r.stderr}`);
  return YAML.parse(r.stdout);
}

// ---- kustomize ----
/** Renders a kustomization directory (relative to the repository) into objects. */
export function kustomize(dir, cwd = ROOT) {
  const r = run("kubectl", ["kustomize", dir], { cwd });
  if (r.code !== 0) throw new Error(`kubectl kustomize ${dir} exited ${r.code}:\n${r.stderr}`);
  return YAML.parseAllDocuments(r.stdout).map((d) => {
    if (d.errors.length) throw new Error(`bad YAML from kustomize ${dir}: ${d.errors[0].message}`);
    return d.toJS();
  }).filter(Boolean);
}

// ---- Dockerfile ----
/** Instructions with continuation lines joined: [{op, args, line, stage}]. */
export function parseDockerfile(text) {
  const out = [];
  const lines = text.split("\n");
  let stage = -1;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    const start = i + 1;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, " ");
      i++;
      if (/^\s*#/.test(lines[i])) continue;
      line += lines[i];
    }
    const m = line.trim().match(/^(\S+)\s*(.*)$/s);
    const op = m[1].toUpperCase();
    if (op === "FROM") stage++;
    out.push({ op, args: m[2].replace(/\s+/g, " ").trim(), line: start, stage });
  }
  return out;
}

/** ENV instructions of a stage as an object (KEY=VALUE form, or the legacy KEY VALUE form). */
export function dockerEnv(instrs, stage) {
  const env = {};
  for (const ins of instrs.filter((x) => x.op === "ENV" && x.stage === stage)) {
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(ins.args)) {
      for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)) env[m[1]] = m[3] ?? m[2];
    } else {
      const [k, ...rest] = ins.args.split(" ");
      env[k] = rest.join(" ");
    }
  }
  return env;
}

/** Packages named by `apt-get install` in the RUN instructions of a stage. */
export function aptPackages(instrs, stage) {
  const pkgs = new Set();
  for (const ins of instrs.filter((x) => x.op === "RUN" && x.stage === stage)) {
    for (const cmd of ins.args.split(/&&|;/)) {
      const m = cmd.match(/apt-get\s+install\s+(.*)$/);
      if (!m) continue;
      for (const w of m[1].trim().split(/\s+/)) if (!w.startsWith("-")) pkgs.add(w);
    }
  }
  return pkgs;
}

/** The JSON-array (exec) form of an instruction's arguments, or null. */
export function execForm(args) {
  const s = args.slice(args.indexOf("["));
  try {
    const v = JSON.parse(s);
    return Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/** DEB_PACKAGES of scripts/setup.sh. */
export function setupPackages() {
  const text = readRepo("scripts/setup.sh");
  const m = text.match(/DEB_PACKAGES=\(([\s\S]*?)\n\)/);
  if (!m) throw new Error("DEB_PACKAGES=( ... ) not found in scripts/setup.sh");
  return m[1].split("\n").map((l) => l.replace(/#.*/, "")).join(" ").split(/\s+/).filter(Boolean);
}

// ---- .dockerignore ----
/** Go filepath.Match-like glob with ** (as Docker's patternmatcher), for one pattern. */
function globToRegExp(pattern) {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") {
          i++;
          re += "(?:.*/)?";
        } else re += ".*";
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  // A pattern matching a directory excludes everything below it.
  return new RegExp(`^${re}(?:/.*)?$`);
}

/** Does the build context contain `file` (relative path) under these .dockerignore rules? */
export function dockerignoreIncludes(rules, file) {
  let included = true;
  for (const raw of rules) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const neg = line.startsWith("!");
    const pat = path.posix.normalize((neg ? line.slice(1) : line).trim().replace(/^\/+/, "")).replace(/\/$/, "");
    if (globToRegExp(pat).test(file)) included = neg;
  }
  return included;
}
