import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../errors.ts";
import { installApp } from "../host/admin-ops.ts";
import { grant } from "../host/grant-ops.ts";
import { Host } from "../host/host.ts";
import type { GuestRequest } from "../sandbox/fetch-handler.ts";
import { queryAudit } from "../store/audit-store.ts";
import { type EmbeddedDatabase, freePort, startEmbedded } from "../store/embedded.ts";

let dir: string;
let pgDir: string;
let port: number;
let pg: EmbeddedDatabase;
let host: Host;
const request: GuestRequest = { method: "GET", url: "http://127.0.0.1/", headers: [], body: null };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "locara-outage-"));
  await chmod(dir, 0o755);
  pgDir = join(dir, "pg");
  port = await freePort();
  pg = await startEmbedded(pgDir, () => {}, { port });
  host = await Host.start({ home: join(dir, "home"), databaseUrl: pg.url, userHome: dir });
  const app = join(dir, "counter");
  await mkdir(app, { recursive: true });
  await writeFile(join(app, "locara.yaml"), "name: counter\nversion: 1.0.0\nentry: app.ts\n");
  await writeFile(
    join(app, "app.ts"),
    `import { get, set } from "locara:kv";
export default { async fetch() {
  try { const n = ((await get("n")) ?? 0) + 1; await set("n", n); return new Response(String(n)); }
  catch (e) { return new Response(e.code ?? e.message, { status: 503 }); }
} };`,
  );
  await installApp(host, { dir: app, path: "/counter", approve: true, by: "test" });
}, 120_000);

afterAll(async () => {
  await host?.close();
  await pg?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** An admin action that must be recorded: a deny grant. */
const denyHome = () =>
  grant(host, {
    path: "/counter",
    kind: "env",
    resource: "HOME",
    length: { always: true },
    deny: true,
    by: "test",
  });

async function call(): Promise<string> {
  const route = await host.route("/counter");
  const outcome = await host.handle(route!, request);
  return outcome.ok ? outcome.response.body.toString() : `error: ${outcome.error.message}`;
}

describe("the store goes away while the host runs", () => {
  it("gives clear errors meanwhile, loses no audit event, and recovers when it returns", async () => {
    expect(await call()).toBe("1");
    await pg.stop();

    // Admin actions that must be recorded are refused, saying why.
    const refused = await denyHome().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).message).toMatch(/the store could not .*(unreachable|ECONNREFUSED)/);
    // Requests fail with the store's error (the server answers 503), whether routing or the app's
    // own storage needed it.
    expect(await call().catch((e: { code?: string }) => e.code)).toMatch(/LOCARA_E_STORE/);

    // Postgres comes back on the same address: everything works again, without a restart.
    pg = await startEmbedded(pgDir, () => {}, { port });
    let answer = "";
    for (let i = 0; i < 50 && !/^\d+$/.test(answer); i++) {
      answer = await call().catch((e: Error) => e.message);
      if (!/^\d+$/.test(answer)) await new Promise((r) => setTimeout(r, 100));
    }
    expect(answer).toBe("2");
    await denyHome();
    // The kv calls made during the outage were audited once the store was back.
    await host.audit.flush();
    const events = await queryAudit(host.db.pool, { installation: "/counter", kind: "kv", limit: 1000 });
    expect(events.length).toBeGreaterThanOrEqual(4);
  });
});
