// npm run bench:http — autocannon on 127.0.0.1: a hello-world app served through the host beside
// the same response from a plain Node http server, in one run; then an app that reads one
// granted file per request. Timings compare within this run on this machine; they are not tests.
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { installApp } from "../src/host/admin-ops.ts";
import { Host } from "../src/host/host.ts";
import { startServer } from "../src/server/server.ts";

const CONNECTIONS = 200;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

const dir = await mkdtemp(join(tmpdir(), "locara-bench-http-"));
await chmod(dir, 0o755);
const data = join(dir, "data");
await mkdir(data);
await writeFile(join(data, "note.txt"), "a granted note\n");

async function app(name: string, manifestTail: string, code: string): Promise<string> {
  const folder = join(dir, name);
  await mkdir(folder);
  await writeFile(
    join(folder, "locara.yaml"),
    `name: ${name}\nversion: 1.0.0\nentry: app.ts\nroutes: [{ path: /, access: public }]\n${manifestTail}`,
  );
  await writeFile(join(folder, "app.ts"), code);
  return folder;
}

const host = await Host.start({ home: join(dir, "home"), userHome: dir });
await installApp(host, {
  dir: await app("hello", "", `export default { fetch: () => new Response("hello world") };`),
  path: "/hello",
  approve: true,
  by: "bench",
});
await installApp(host, {
  dir: await app(
    "reader",
    `permissions:\n  fs.read: ["${data}"]\n`,
    `import { readTextFile } from "locara:fs";
export default { fetch: async () => new Response(await readTextFile(${JSON.stringify(join(data, "note.txt"))})) };`,
  ),
  path: "/reader",
  approve: true,
  by: "bench",
});
const server = await startServer({ host, socket: join(dir, "home", "admin.sock"), port: 0 });

const plain = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/plain;charset=UTF-8" });
  res.end("hello world");
});
await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/`;

async function load(url: string) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

// Warm both (JIT, the app's sandbox), then measure, alternating.
await autocannon({ url: `${server.appsUrl}hello/`, connections: 10, duration: 2 });
await autocannon({ url: plainUrl, connections: 10, duration: 2 });
const node = await load(plainUrl);
const hello = await load(`${server.appsUrl}hello/`);
const reader = await load(`${server.appsUrl}reader/`);

await server.close();
await host.close();
plain.close();
await rm(dir, { recursive: true, force: true });

const row = (what: string, r: Awaited<ReturnType<typeof load>>, ratio: string, goal: string) =>
  `| ${what} | ${Math.round(r.rps).toLocaleString("en")} | ${r.p50} ms | ${r.p99} ms | ${r.errors} | ${ratio} | ${goal} |`;
console.log(
  `| served (${CONNECTIONS} connections, ${SECONDS} s) | req/s | p50 | p99 | errors | of plain Node | goal |`,
);
console.log("|---|---:|---:|---:|---:|---:|---|");
console.log(row("plain Node `http` server, same response", node, "100%", ""));
console.log(
  row(
    "hello-world app through the host",
    hello,
    `${Math.round((hello.rps / node.rps) * 100)}%`,
    "≥ 30% of plain Node; p99 ≤ 50 ms",
  ),
);
console.log(
  row(
    "app reading one granted file per request",
    reader,
    `${Math.round((reader.rps / node.rps) * 100)}%`,
    "",
  ),
);
console.log(
  `\nNode ${process.versions.node}, autocannon ${CONNECTIONS} connections for ${SECONDS} s each, 127.0.0.1.`,
);
