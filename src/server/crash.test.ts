import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminCall } from "../cli/admin-client.ts";
import { freshDatabase, type TestDatabase } from "../store/test-databases.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
let dir: string;
let home: string;
let database: TestDatabase;
const children: ChildProcess[] = [];

function startHost(): Promise<{ child: ChildProcess; apps: string }> {
  const child = spawn(
    process.execPath,
    [join(root, "bin", "locara.js"), "server", "--port", "0", "--database", database.url],
    {
      env: { ...process.env, LOCARA_HOME: home, CI: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  children.push(child);
  let err = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      const match = /apps: +(http:\/\/127\.0\.0\.1:\d+\/)/.exec(err);
      if (match) resolve({ child, apps: match[1]! });
    });
    child.on("exit", (code) => reject(new Error(`the host exited (${code}) before it ran:\n${err}`)));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "locara-crash-"));
  home = join(dir, "home");
  await mkdir(home, { recursive: true });
  process.env.LOCARA_HOME = home;
  database = await freshDatabase();
  for (const name of ["a", "b", "c", "d", "e"]) {
    const app = join(dir, name);
    await mkdir(app, { recursive: true });
    await writeFile(
      join(app, "locara.yaml"),
      `name: app-${name}\nversion: 1.0.0\nentry: app.ts\nroutes: [{ path: /, access: public }]\npermissions:\n  env: [HOME]\n`,
    );
    await writeFile(
      join(app, "app.ts"),
      `import { get, set } from "locara:kv";
export default { async fetch() { await set("k", ((await get("k")) ?? 0) + 1); return new Response("ok"); } };`,
    );
  }
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await database?.drop();
});

describe("kill -9 of the host while it writes", () => {
  it("leaves the store consistent: no half-installed app, every acknowledged grant and its audit record present", async () => {
    const first = await startHost();
    await adminCall("POST", "/v1/apps", { dir: join(dir, "a"), path: "/a", approve: true });
    await adminCall("POST", "/v1/app/approve", { path: "/a", state: "ask" });

    // Grants, installs and audited requests in flight when the host is killed.
    const acknowledged: string[] = [];
    const installed: string[] = [];
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      work.push(
        adminCall<{ grant: { id: string } }>("POST", "/v1/grant", {
          path: "/a",
          kind: "env",
          resource: "HOME",
          always: true,
        }).then(
          (r) => acknowledged.push(r.grant.id),
          () => {},
        ),
      );
      work.push(
        fetch(new URL("a/", first.apps)).then(
          (r) => r.text(),
          () => "",
        ),
      );
    }
    for (const name of ["b", "c", "d", "e"]) {
      work.push(
        adminCall("POST", "/v1/apps", { dir: join(dir, name), path: `/${name}`, approve: true }).then(
          () => installed.push(`/${name}`),
          () => {},
        ),
      );
    }
    // Kill it as soon as some writes are acknowledged, with the rest still in flight.
    for (let i = 0; i < 500 && acknowledged.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    first.child.kill("SIGKILL");
    await Promise.allSettled(work);

    // Restart on the same home and store.
    const second = await startHost();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const half = await client.query(
        "SELECT i.path FROM installations i LEFT JOIN versions v ON v.installation_id = i.id AND v.version = i.live_version WHERE v.version IS NULL",
      );
      expect(half.rows).toEqual([]);
      const paths = (await client.query<{ path: string }>("SELECT path FROM installations")).rows.map(
        (r) => r.path,
      );
      for (const path of installed) expect(paths).toContain(path);
      const grants = (await client.query<{ id: string }>("SELECT id FROM grants")).rows.map((r) => r.id);
      for (const id of acknowledged) expect(grants).toContain(id);
      const audited = (
        await client.query<{ id: string }>(
          "SELECT detail->>'id' AS id FROM audit_events WHERE call = 'admin.grant'",
        )
      ).rows.map((r) => r.id);
      for (const id of acknowledged) expect(audited).toContain(id);
      // Every recorded grant has its audit record (recorded in one transaction).
      expect(audited.sort()).toEqual(grants.sort());
    } finally {
      await client.end();
    }
    expect((await readdir(join(home, "apps"))).filter((n) => n.startsWith(".staging-"))).toEqual([]);
    // And it serves.
    expect((await fetch(new URL("a/", second.apps))).status).toBe(200);
    second.child.kill("SIGTERM");
  });
});
