import { chmod, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installApp } from "../host/admin-ops.ts";
import { Host } from "../host/host.ts";
import { setAppPassword } from "../host/route-ops.ts";
import { freshDatabase, type TestDatabase } from "../store/test-databases.ts";
import { type RunningServer, startServer } from "./server.ts";

/*
 * Load as correctness: 200 connections for 20 seconds across 10 installations, public and limited
 * routes, each request making permitted host calls. Nothing may fail, and every answer must come
 * from the installation the request was routed to. (Throughput is measured by bench:http.)
 */
const INSTALLATIONS = 10;
const SECONDS = Number(process.env.LOAD_SECONDS ?? 20);
let dir: string;
let database: TestDatabase;
let host: Host;
let server: RunningServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "locara-load-"));
  await chmod(dir, 0o755);
  database = await freshDatabase();
  host = await Host.start({
    home: join(dir, "home"),
    databaseUrl: database.url,
    userHome: dir,
    environment: { GREETING: "hi" },
  });
  for (let i = 0; i < INSTALLATIONS; i++) {
    const app = join(dir, `app${i}`);
    await mkdir(app);
    await writeFile(
      join(app, "locara.yaml"),
      `name: app${i}\nversion: 1.0.0\nentry: app.ts\nroutes:\n  - { path: /, access: public }\n  - { path: /members, access: limited }\npermissions:\n  env: [GREETING]\n`,
    );
    await writeFile(
      join(app, "app.ts"),
      `import { get as env } from "locara:env";
import { get, set } from "locara:kv";
export default { async fetch(req) {
  const n = ((await get("n")) ?? 0) + 1;
  await set("n", n);
  return new Response("app${i} " + new URL(req.url).pathname + " " + (await env("GREETING")));
} };`,
    );
    await installApp(host, { dir: app, path: `/app${i}`, approve: true, by: "test" });
    await setAppPassword(host, { path: `/app${i}`, password: `password-${i}`, by: "test" });
  }
  server = await startServer({ host, socket: join(dir, "home", "admin.sock"), port: 0 });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await host?.close();
  await database?.drop();
});

/** A session cookie that unlocked installation i's limited routes. */
async function unlocked(i: number): Promise<string> {
  const first = await fetch(new URL(`app${i}/members/x`, server.appsUrl));
  const cookie = first.headers.getSetCookie()[0]!.split(";")[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(await first.text())![1]!;
  const unlock = await fetch(new URL("_locara/unlock", server.appsUrl), {
    method: "POST",
    redirect: "manual",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, mount: `/app${i}`, next: "/", password: `password-${i}` }),
  });
  expect(unlock.status).toBe(303);
  return cookie;
}

describe("load", () => {
  it(`200 connections for ${SECONDS} s across ${INSTALLATIONS} installations: no failure, never the wrong app`, async () => {
    const cookies = await Promise.all(Array.from({ length: INSTALLATIONS }, (_, i) => unlocked(i)));
    const wrong: string[] = [];
    let checked = 0;
    const runs = Array.from({ length: INSTALLATIONS }, (_, i) =>
      autocannon({
        url: server.appsUrl,
        connections: 200 / INSTALLATIONS,
        duration: SECONDS,
        requests: [
          {
            method: "GET",
            path: `/app${i}/page`,
            onResponse: (status, body) => {
              checked++;
              if (status !== 200 || body !== `app${i} /page hi`) wrong.push(`${status} ${body.slice(0, 80)}`);
            },
          },
          {
            method: "GET",
            path: `/app${i}/members/list`,
            headers: { cookie: cookies[i]! },
            onResponse: (status, body) => {
              checked++;
              if (status !== 200 || body !== `app${i} /members/list hi`)
                wrong.push(`${status} ${body.slice(0, 80)}`);
            },
          },
        ],
      }),
    );
    const results = await Promise.all(runs);
    const total = results.reduce((n, r) => n + r.requests.total, 0);
    expect(results.map((r) => r.errors + r.timeouts + r.non2xx)).toEqual(new Array(INSTALLATIONS).fill(0));
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(total).toBeGreaterThan(INSTALLATIONS * 10);
    expect(checked).toBe(total); // every answer was read and compared
  }, 120_000);
});
