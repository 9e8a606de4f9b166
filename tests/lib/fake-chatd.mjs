// A stand-in for chatd in the harness's own tests (chatd.test.mjs): answers GET /healthz on
// --port, and misbehaves on request so that the checks of Chatd can be seen to fail:
//   --report TEXT    prints TEXT once it is listening (e.g. a sanitizer report line)
//   --exit-code N    exits with N on SIGTERM (default 0)
//   --ignore-term    does not exit on SIGTERM
//   --crash-after MS exits with code 3 on its own after MS
import http from "node:http";

const flags = process.argv.slice(2);
const flag = (name) => {
  const i = flags.indexOf(name);
  return i < 0 ? undefined : flags[i + 1];
};
const has = (name) => flags.includes(name);

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"status":"ok"}');
  } else {
    res.writeHead(404);
    res.end();
  }
});
server.listen(Number(flag("--port")), flag("--host") ?? "127.0.0.1", () => {
  console.log(`listening on ${server.address().port}`);
  if (flag("--report")) console.error(flag("--report"));
});
process.on("SIGTERM", () => {
  if (has("--ignore-term")) return;
  console.log("stopping");
  process.exit(Number(flag("--exit-code") ?? 0));
});
if (flag("--crash-after")) setTimeout(() => process.exit(3), Number(flag("--crash-after")));
