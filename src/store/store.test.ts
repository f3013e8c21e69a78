import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../errors.ts";
import { queryAudit } from "./audit-store.ts";
import { AuditWriter } from "./audit-writer.ts";
import { listenForChanges, notifyChange } from "./changes.ts";
import { type Database, openDatabase } from "./database.ts";
import { findInstallation, insertInstallation, insertVersion, listInstallations } from "./installations.ts";
import { PostgresKv } from "./kv-store.ts";
import { SCHEMA_VERSION } from "./migrations.ts";
import {
  approvalsOf,
  consumeGrant,
  insertGrant,
  keepApprovals,
  liveGrants,
  putApproval,
  revokeGrants,
} from "./permissions-store.ts";
import {
  addPendingRequest,
  answerRequests,
  MAX_PENDING_REQUESTS,
  pendingRequests,
} from "./requests-store.ts";
import {
  freshEmbeddedDatabase,
  freshMachineDatabase,
  MACHINE_POSTGRES,
  machinePostgresAvailable,
  type TestDatabase,
} from "./test-databases.ts";

const machine = await machinePostgresAvailable();
if (!machine)
  console.warn(`store suite: the machine's Postgres (${MACHINE_POSTGRES}) is absent; its run is skipped`);

const targets = [
  { name: "embedded Postgres", fresh: freshEmbeddedDatabase, skip: false },
  { name: "the machine's Postgres at 127.0.0.1:5432", fresh: freshMachineDatabase, skip: !machine },
];

describe.each(targets)("the store on $name", ({ fresh, skip }) => {
  let target: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    if (skip) return;
    target = await fresh();
    db = await openDatabase({ url: target.url, embeddedDir: "/nonexistent" });
  }, 120_000);
  afterAll(async () => {
    if (skip) return;
    await db?.close();
    await target?.drop();
  });

  const install = async (path: string) => {
    const id = randomUUID();
    await db.transaction(async (tx) => {
      await insertInstallation(tx, { id, path, name: path.slice(1), source: "/src" });
      await insertVersion(tx, {
        installationId: id,
        version: 1,
        manifestFile: "locara.yaml",
        manifestText: "name: a",
        bundle: "export default 1",
        bundleHash: "sha256:0",
        audit: { uses: [] },
        createdBy: "test",
      });
    });
    return id;
  };

  it.skipIf(skip)("migrates a fresh database, again is a no-op, and refuses a newer schema", async () => {
    const { rows } = await db.pool.query("SELECT max(version) AS v FROM locara_schema");
    expect(rows[0]?.v).toBe(SCHEMA_VERSION);
    const again = await openDatabase({ url: target.url, embeddedDir: "/nonexistent" });
    await again.close();
    await db.pool.query("INSERT INTO locara_schema (version) VALUES (999)");
    const newer = openDatabase({ url: target.url, embeddedDir: "/nonexistent" });
    await expect(newer).rejects.toBeInstanceOf(StoreError);
    await expect(newer).rejects.toThrow(/schema is version 999, newer than this Locara knows/);
    await db.pool.query("DELETE FROM locara_schema WHERE version = 999");
  });

  it.skipIf(skip)("an installation and its version are recorded together, or not at all", async () => {
    const id = await install("/utils/disk_usage");
    expect((await findInstallation(db.pool, "/utils/disk_usage"))?.id).toBe(id);
    // A failing step rolls the whole transaction back.
    await expect(
      db.transaction(async (tx) => {
        await insertInstallation(tx, { id: randomUUID(), path: "/half", name: "half", source: "/src" });
        throw new Error("bundle failed");
      }),
    ).rejects.toThrow("bundle failed");
    expect(await findInstallation(db.pool, "/half")).toBeUndefined();
    // One installation per path.
    await expect(install("/utils/disk_usage")).rejects.toThrow();
    expect((await listInstallations(db.pool)).map((i) => i.path)).toContain("/utils/disk_usage");
  });

  it.skipIf(skip)("approvals are replaced per permission and dropped with the permission", async () => {
    const id = await install("/approvals");
    await putApproval(
      db.pool,
      id,
      { key: "run du", kind: "run", scope: { command: "du", args: [] }, state: "ask" },
      "ada",
    );
    await putApproval(
      db.pool,
      id,
      {
        key: "run du",
        kind: "run",
        scope: { command: "du", args: [] },
        state: "approved",
        pinned: "/usr/bin/du",
      },
      "ada",
    );
    await putApproval(db.pool, id, { key: "env HOME", kind: "env", scope: "HOME", state: "approved" }, "ada");
    expect((await approvalsOf(db.pool, id)).map((a) => [a.key, a.state, a.pinned])).toEqual([
      ["env HOME", "approved", undefined],
      ["run du", "approved", "/usr/bin/du"],
    ]);
    expect(await keepApprovals(db.pool, id, ["run du"])).toEqual(["env HOME"]);
    expect((await approvalsOf(db.pool, id)).map((a) => a.key)).toEqual(["run du"]);
  });

  it.skipIf(skip)("grants: live ones only; revoked, expired and used-up once-grants are not", async () => {
    const id = await install("/grants");
    const base = { kind: "fs.read" as const, effect: "allow" as const, by: "ada" };
    await insertGrant(db.pool, id, { ...base, id: "g-always", scope: "/a", term: "always" });
    await insertGrant(db.pool, id, {
      ...base,
      id: "g-expired",
      scope: "/b",
      term: "until",
      until: "2001-01-01T00:00:00Z",
    });
    await insertGrant(db.pool, id, {
      ...base,
      id: "g-later",
      scope: "/c",
      term: "until",
      until: Date.now() + 86_400_000,
    });
    await insertGrant(db.pool, id, { ...base, id: "g-once", scope: "/d", term: "once" });
    expect((await liveGrants(db.pool, id)).map((g) => g.id).sort()).toEqual([
      "g-always",
      "g-later",
      "g-once",
    ]);
    // A once-grant is used exactly once, even by hosts racing for it.
    const racers = await Promise.all([1, 2, 3, 4].map(() => consumeGrant(db.pool, "g-once")));
    expect(racers.filter(Boolean)).toHaveLength(1);
    expect(await revokeGrants(db.pool, id, "ada", { kind: "fs.read", scope: "/a" })).toEqual(["g-always"]);
    expect((await liveGrants(db.pool, id)).map((g) => g.id)).toEqual(["g-later"]);
    expect(await revokeGrants(db.pool, id, "ada", "all")).toEqual(["g-later"]);
  });

  it.skipIf(skip)("key-value data is scoped to its installation and round-trips exactly", async () => {
    const a = new PostgresKv(db.pool, await install("/kv-a"));
    const b = new PostgresKv(db.pool, await install("/kv-b"));
    const value = JSON.stringify({ text: "nul \u0000 and emoji 😀", n: 1.5, list: [1, null] });
    await a.set("k", value);
    expect(await a.get("k")).toBe(value);
    expect(await b.get("k")).toBeUndefined();
    await a.set("k2", "2");
    expect(await a.list("k")).toEqual(["k", "k2"]);
    expect(await b.list("")).toEqual([]);
    expect(await a.delete("k")).toBe(true);
    expect(await a.delete("k")).toBe(false);
  });

  it.skipIf(skip)("pending requests are kept once per question and answered by a grant", async () => {
    const id = await install("/asking");
    const ask = (rid: string) =>
      addPendingRequest(db.pool, {
        id: rid,
        installationId: id,
        kind: "fs.read",
        resource: "/notes",
        request: { kind: "fs.read", resource: "/notes" },
        reason: "app /asking asks to read /notes",
      });
    expect(await ask("r-1")).toBe("r-1");
    expect(await ask("r-2")).toBe("r-1");
    expect((await pendingRequests(db.pool, id)).map((r) => [r.id, r.path])).toEqual([["r-1", "/asking"]]);
    expect(await answerRequests(db.pool, id, "fs.read", "/notes", "allow for 30 days")).toEqual(["r-1"]);
    expect(await pendingRequests(db.pool, id)).toEqual([]);
    // An app cannot flood the admin: at most MAX_PENDING_REQUESTS wait at once.
    for (let i = 0; i < MAX_PENDING_REQUESTS; i++) {
      const request = { kind: "fs.read", resource: `/f${i}`, request: {}, reason: "r", installationId: id };
      expect(await addPendingRequest(db.pool, { ...request, id: `r-f${i}` })).toBe(`r-f${i}`);
    }
    const over = { kind: "fs.read", resource: "/one-more", request: {}, reason: "r", installationId: id };
    expect(await addPendingRequest(db.pool, { ...over, id: "r-over" })).toBeUndefined();
  });

  it.skipIf(skip)("a change notice reaches listeners only when its transaction commits", async () => {
    const seen: string[] = [];
    const listener = listenForChanges(target.url, (id) => seen.push(id));
    await listener.ready;
    seen.length = 0;
    await db.transaction(async (tx) => notifyChange(tx, "committed"));
    await db
      .transaction(async (tx) => {
        await notifyChange(tx, "rolled-back");
        throw new Error("no");
      })
      .catch(() => {});
    for (let i = 0; i < 50 && !seen.includes("committed"); i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(["committed"]);
    await listener.close();
  });

  it.skipIf(skip)("audit events are written in batches, none lost, and found again by filter", async () => {
    const writer = new AuditWriter(db.pool, { maxQueue: 500, maxBatch: 200 });
    const path = `/audit-${randomUUID().slice(0, 8)}`;
    let waited = 0;
    for (let i = 0; i < 3000; i++) {
      const pending = writer.write({
        v: 1,
        time: new Date(Date.UTC(2026, 10, 29, 12, 0, i % 60)).toISOString(),
        installation: path,
        call: "locara:fs.readFile",
        kind: i % 3 === 0 ? "net" : "fs.read",
        resource: `/r/${i}`,
        decision: i % 2 === 0 ? "granted" : "denied",
        rule: "test",
        durationMs: 0.1,
      });
      if (pending) {
        waited++;
        await pending; // a full queue slows the caller down instead of dropping
      }
    }
    expect(await writer.close()).toBe(true);
    expect(waited).toBeGreaterThan(0);
    const { rows } = await db.pool.query(
      "SELECT count(*)::int AS n FROM audit_events WHERE installation = $1",
      [path],
    );
    expect(rows[0]?.n).toBe(3000);
    const denied = await queryAudit(db.pool, {
      installation: path,
      denied: true,
      kind: "net",
      limit: 10_000,
    });
    expect(denied.length).toBe(500);
    expect(denied.every((e) => e.decision === "denied" && e.kind === "net")).toBe(true);
    const newest = await queryAudit(db.pool, { installation: path, limit: 3 });
    expect(newest.map((e) => e.resource)).toEqual(["/r/2997", "/r/2998", "/r/2999"]);
  });

  it.skipIf(skip)(
    "the audit writer keeps events while the database refuses them, and writes them after",
    async () => {
      const broken = new pg.Pool({ connectionString: target.url, max: 1 });
      let refuse = true;
      const flaky = {
        query: (text: string, values?: unknown[]) =>
          refuse ? Promise.reject(new Error("connection refused")) : broken.query(text, values),
      };
      const errors: unknown[] = [];
      const writer = new AuditWriter(flaky as never, { retryMs: 20, onError: (e) => errors.push(e) });
      const path = `/flaky-${randomUUID().slice(0, 8)}`;
      for (let i = 0; i < 10; i++) {
        await writer.write({
          v: 1,
          time: new Date().toISOString(),
          installation: path,
          call: "c",
          kind: "env",
          resource: String(i),
          decision: "granted",
          rule: "r",
          durationMs: 0,
        });
      }
      await new Promise((r) => setTimeout(r, 100));
      expect(errors.length).toBeGreaterThan(0);
      refuse = false;
      expect(await writer.close()).toBe(true);
      expect((await queryAudit(db.pool, { installation: path })).length).toBe(10);
      await broken.end();
    },
  );
});
