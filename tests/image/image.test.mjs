// The container image as a tested artifact (issue #10). scripts/image.sh builds the real
// Dockerfile with podman (base image made locally with debootstrap, no registry); no container
// runtime may start containers on these machines, so the test runs the image's own filesystem:
// `podman create` + `podman mount`, proc and /dev mounted into it, and the image's entrypoint
// started under `chroot --userspec=<the image's USER>` with the image's environment (what a
// container runtime would do, minus namespaces and cgroups). Against it: /healthz, /readyz, the
// HEALTHCHECK command, the web UI's files, a two-user chat with an avatar written to /uploads as
// the image's user, and a restart that keeps the SQLite data in /data. And what the image must
// not contain: a compiler, headers, npm.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { closeAllClients, connectChat } from "../lib/chat-client.mjs";
import { account, makePng, multipart, signIn } from "../lib/fixtures.mjs";
import { freePort, request } from "../lib/net.mjs";
import { sleep } from "../lib/wait.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const IMAGE_SH = path.join(ROOT, "scripts/image.sh");
// The runtime image holds chatd (3 MB), the web UI and its shared libraries. 2026-12: 439 MB
// here, of which the locally made base (debootstrap minbase, 121 MB; Docker Hub's
// bookworm-slim is about 75 MB) and the runtime packages (314 MB: libvips42 brings its codecs
// and their libraries, ImageMagick, poppler, HDF5 among them). Growing past this is a change to
// look at.
const MAX_IMAGE_MB = 480;

let image;
let container;
let mnt;
let config; // the image's Config (Env, Entrypoint, User) plus its Healthcheck
let server = null;

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout.trim();
}
const podman = (...args) => sh("bash", [IMAGE_SH, "podman", ...args]);

/** The image's environment as an object (what `docker run` gives the process). */
function imageEnv(extra = {}) {
  const env = {};
  for (const kv of config.Env ?? []) {
    const i = kv.indexOf("=");
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  // Docker's default when an image sets none.
  env.PATH ??= "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  return { ...env, ...extra };
}

/** argv[0] looked up in the image's PATH, inside the image. */
function resolveInImage(program, env) {
  if (program.startsWith("/")) return program;
  for (const dir of env.PATH.split(":")) {
    const candidate = path.join(dir, program);
    if (fs.existsSync(path.join(mnt, candidate))) return candidate;
  }
  throw new Error(`${program} is not in the image's PATH (${env.PATH})`);
}

/**
 * Runs argv inside the image as its user: in a mount namespace of its own (`unshare -m`), proc
 * and /dev are mounted into the image's tree, then `chroot` does what the runtime's exec would.
 * The mounts exist only in that namespace and vanish with the process: none can outlive a
 * killed test under build/ (where `rm -rf build` would follow a bind mount of the host's /dev).
 * unshare, sh and chroot exec one another: the signals the test sends reach chatd itself.
 */
function inImage(argv, env, opts = {}) {
  const user = config.User || "0:0";
  const [program, ...rest] = argv;
  const script = 'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" && root="$1" && user="$2" && shift 2 && exec chroot --userspec="$user" "$root" "$@"';
  return spawn("unshare", ["--mount", "--propagation", "private", "sh", "-c", script, "sh", mnt, user, resolveInImage(program, env), ...rest], {
    env,
    ...opts,
  });
}

class ImageServer {
  constructor() {
    this.output = "";
  }
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  async start() {
    this.port = await freePort();
    // The container's port is PORT (8888 in the image); here it shares the host's loopback, so
    // a free one is given, and HOST keeps it off other interfaces.
    this.env = imageEnv({ PORT: String(this.port), HOST: "127.0.0.1" });
    this.proc = inImage([...config.Entrypoint, ...(config.Cmd ?? [])], this.env, { stdio: ["ignore", "pipe", "pipe"] });
    this.proc.stdout.on("data", (d) => (this.output += d));
    this.proc.stderr.on("data", (d) => (this.output += d));
    this.exited = new Promise((resolve) => this.proc.on("exit", (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 20000;
    for (;;) {
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) return;
      } catch {
        // not up yet
      }
      if (this.proc.exitCode !== null || Date.now() > deadline)
        throw new Error(`chatd from the image did not come up:\n${this.output}`);
      await sleep(100);
    }
  }
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return this.proc ? { code: this.proc.exitCode, signal: null } : null;
    this.proc.kill("SIGTERM");
    const exit = await Promise.race([this.exited, sleep(20000).then(() => null)]);
    if (!exit) this.proc.kill("SIGKILL");
    return exit;
  }
}

function healthCheck(env) {
  // The HEALTHCHECK command of the image (CMD form), run as the runtime would: inside the image.
  const test = config.Healthcheck?.Test ?? [];
  assert.equal(test[0], "CMD", `HEALTHCHECK should be in exec form: ${JSON.stringify(test)}`);
  const child = inImage(test.slice(1), env, { stdio: "ignore" });
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

before(async () => {
  assert.equal(process.getuid(), 0, "the image test needs root (podman storage, mount namespaces, chroot): run make test as root");
  // First run on a machine: debootstrap and the whole build (about 10 minutes on 2 cores);
  // then only the layers whose inputs changed.
  image = sh("bash", [IMAGE_SH, "build"], { timeout: 45 * 60 * 1000, stdio: ["ignore", "pipe", "inherit"] })
    .split("\n")
    .pop();
  const inspected = JSON.parse(podman("image", "inspect", image))[0];
  // Docker-format images keep HEALTHCHECK; podman reports it next to Config.
  config = { ...inspected.Config, Healthcheck: inspected.Healthcheck ?? inspected.Config.Healthcheck };
  // Containers of earlier runs that were killed before their cleanup.
  for (const old of podman("ps", "-a", "-q", "--filter", `ancestor=${image}`).split("\n").filter(Boolean))
    spawnSync("bash", [IMAGE_SH, "podman", "rm", "-f", old]);
  container = podman("create", image);
  mnt = podman("mount", container);
  for (const dir of ["proc", "dev"]) fs.mkdirSync(path.join(mnt, dir), { recursive: true });
}, { timeout: 50 * 60 * 1000 });

after(async () => {
  closeAllClients();
  await server?.stop();
  if (container) {
    spawnSync("bash", [IMAGE_SH, "podman", "unmount", container]);
    spawnSync("bash", [IMAGE_SH, "podman", "rm", "-f", container]);
  }
});

test("the image runs as an unprivileged numeric user, with its data and upload directories owned by it", () => {
  assert.match(config.User ?? "", /^[1-9]\d*:[1-9]\d*$/, `USER should be numeric and not root: ${config.User}`);
  const [uid, gid] = config.User.split(":").map(Number);
  for (const dir of ["/data", "/uploads"]) {
    const st = fs.statSync(path.join(mnt, dir));
    assert.equal(st.uid, uid, `${dir} owner`);
    assert.equal(st.gid, gid, `${dir} group`);
  }
  assert.deepEqual(config.Entrypoint, ["chatd"]);
});

test(`the runtime image is small (under ${MAX_IMAGE_MB} MB) and holds no compiler, headers, npm or node`, () => {
  const size = Number(podman("image", "inspect", "--format", "{{.Size}}", image));
  console.log(`# image size: ${(size / 1e6).toFixed(0)} MB`);
  assert.ok(size < MAX_IMAGE_MB * 1e6, `image is ${(size / 1e6).toFixed(0)} MB`);
  for (const tool of ["gcc", "g++", "cc", "c++", "clang", "cmake", "ninja", "make", "npm", "node", "nodejs", "pkg-config"]) {
    for (const dir of ["/usr/bin", "/usr/local/bin", "/bin"])
      assert.ok(!fs.existsSync(path.join(mnt, dir, tool)), `${dir}/${tool} is in the runtime image`);
  }
  const include = path.join(mnt, "usr/include");
  const headers = fs.existsSync(include) ? fs.readdirSync(include, { recursive: true }).filter((f) => /\.h(pp)?$/.test(f)) : [];
  assert.deepEqual(headers.slice(0, 5), [], `headers in /usr/include (${headers.length})`);
  assert.ok(!fs.existsSync(path.join(mnt, "usr/lib/node_modules")), "global node modules in the image");
  assert.ok(!fs.existsSync(path.join(mnt, "src")), "the build's sources in the image");
});

test("chatd from the image: /healthz, /readyz, the HEALTHCHECK command, the web UI", async () => {
  server = new ImageServer();
  await server.start();
  assert.equal((await request(server, "GET", "/healthz")).status, 200);
  const ready = await request(server, "GET", "/readyz");
  assert.equal(ready.status, 200, ready.text);
  assert.equal(ready.json.status, "ready");
  assert.equal(await healthCheck(server.env), 0, "the HEALTHCHECK command says healthy");

  const index = await request(server, "GET", "/");
  assert.equal(index.status, 200);
  assert.match(index.headers.get("content-type"), /^text\/html/);
  const assets = [...index.text.matchAll(/(?:src|href)="(\/?[^"#:]+\.(?:js|css|png|svg|ico|webmanifest))"/g)].map((m) => m[1]);
  assert.ok(assets.some((a) => a.endsWith(".js")), `index.html names no script: ${index.text.slice(0, 300)}`);
  for (const asset of assets) {
    const res = await request(server, "GET", asset.startsWith("/") ? asset : `/${asset}`);
    assert.equal(res.status, 200, `${asset}: ${res.status}`);
    if (asset.endsWith(".js")) assert.match(res.headers.get("content-type"), /javascript/, asset);
    if (asset.endsWith(".css")) assert.match(res.headers.get("content-type"), /text\/css/, asset);
  }
});

test("a chat with an avatar upload, then a restart that keeps everything in /data and /uploads", async () => {
  assert.ok(server, "the server of the previous test");
  const alice = await account(server, "alice", "alice-in-the-image");
  const bob = await account(server, "bob", "bob-in-the-image");
  const a = await connectChat(server, alice.cookie, { label: "alice" });
  const b = await connectChat(server, bob.cookie, { label: "bob" });
  const general = a.room("general");
  assert.ok(general, "room general");
  const sent = await a.send(general.id, "hello from the image");
  const got = await b.waitFor("message", (m) => m.text === "hello from the image", { ms: 5000 });
  assert.equal(got.seq, sent.seq);

  const { body, contentType } = multipart([{ name: "avatar", filename: "me.png", contentType: "image/png", data: makePng(16, 3) }]);
  const up = await request(server, "POST", "/api/avatar", { cookie: alice.cookie, body, headers: { "content-type": contentType } });
  assert.equal(up.status, 200, up.text);
  const avatar = await request(server, "GET", up.json.user.avatar);
  assert.equal(avatar.status, 200);
  assert.equal(avatar.headers.get("content-type"), "image/webp");
  // Written to the image's /uploads by its user.
  const [uid] = config.User.split(":").map(Number);
  const blobs = fs.readdirSync(path.join(mnt, "uploads"), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  assert.ok(blobs.length >= 2, `avatar files in /uploads: ${blobs.length}`);
  for (const f of blobs) assert.equal(fs.statSync(path.join(f.parentPath ?? f.path, f.name)).uid, uid);
  assert.ok(fs.existsSync(path.join(mnt, "data/chat.db")), "the SQLite database is in /data");
  closeAllClients();

  const exit = await server.stop();
  assert.deepEqual(exit, { code: 0, signal: null }, `SIGTERM exit:\n${server.output}`);
  assert.notEqual(await healthCheck(server.env), 0, "the HEALTHCHECK command says unhealthy while nothing runs");

  server = new ImageServer();
  await server.start();
  const again = await signIn(server, "alice", "alice-in-the-image");
  assert.equal(again.status, 200, `alice's account survived the restart: ${again.text}`);
  const wrong = await signIn(server, "bob", "not-bob's-password");
  assert.equal(wrong.status, 401, "bob's account survived too (and his password)");
  const a2 = await connectChat(server, again.cookie, { label: "alice again" });
  const joined = await a2.ack("room:join", { roomId: general.id });
  assert.ok(joined.messages.some((m) => m.text === "hello from the image" && m.seq === sent.seq), JSON.stringify(joined.messages));
  const me = await request(server, "GET", "/api/me", { cookie: again.cookie });
  assert.equal(me.json.user.avatar, up.json.user.avatar);
  assert.equal((await request(server, "GET", up.json.user.avatar)).status, 200, "the avatar is still served");
  closeAllClients();
  const exit2 = await server.stop();
  assert.deepEqual(exit2, { code: 0, signal: null }, `SIGTERM exit:\n${server.output}`);
  server = null;
});
