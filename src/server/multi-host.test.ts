import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveApp, installApp } from "../host/admin-ops.ts";
import { grant, revoke, setServerRules } from "../host/grant-ops.ts";
import { Host } from "../host/host.ts";
import type { GuestRequest } from "../sandbox/fetch-handler.ts";
import { freshDatabase, type TestDatabase } from "../store/test-databases.ts";

let dir: string;
let database: TestDatabase;
let a: Host;
let b: Host;

const request = (path: string): GuestRequest => ({
  method: "GET",
  url: `http://127.0.0.1${path}`,
  headers: [],
  body: null,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "locara-two-hosts-"));
  database = await freshDatabase();
  // Two hosts, each with its own home, sharing one store.
  a = await Host.start({ home: join(dir, "a"), databaseUrl: database.url, userHome: dir });
  b = await Host.start({ home: join(dir, "b"), databaseUrl: database.url, userHome: dir });
  const app = join(dir, "app");
  await mkdir(join(dir, "notes"), { recursive: true });
  await writeFile(join(dir, "notes", "n.txt"), "secret note");
  await mkdir(app, { recursive: true });
  await writeFile(
    join(app, "locara.yaml"),
    `name: notes\nversion: 1.0.0\nentry: app.ts\npermissions:\n  fs.read: [{ path: "${join(dir, "notes")}", reason: "the notes" }]\n`,
  );
  await writeFile(
    join(app, "app.ts"),
    `import { readTextFile } from "locara:fs";
export default { async fetch() {
  try { return new Response(await readTextFile(${JSON.stringify(join(dir, "notes", "n.txt"))})); }
  catch (e) { return new Response(e.code, { status: 403 }); }
} };`,
  );
  await installApp(a, { dir: app, path: "/notes", approve: false, by: "test" });
  await approveApp(a, { path: "/notes", dryRun: false, by: "test", state: "ask" });
}, 120_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await database?.drop();
});

/** Host A grants the notes folder to the app for good. */
const grantNotes = () =>
  grant(a, {
    path: "/notes",
    kind: "fs.read",
    resource: join(dir, "notes"),
    length: { always: true },
    deny: false,
    by: "test",
  });

async function askB(): Promise<string> {
  const route = await b.route("/notes");
  const outcome = await b.handle(route!, request("/"));
  if (!outcome.ok) throw new Error(outcome.error.message);
  return outcome.response.body.toString();
}

describe("two hosts on one store", () => {
  it("a grant given on one host is used on the other; revoked there, it is refused within one second", async () => {
    expect(await askB()).toBe("LOCARA_E_PROMPT_PENDING");
    await grantNotes();
    // The notice reaches B before its next decision (B reloads its policy on the notice).
    let answer = "";
    for (let i = 0; i < 20 && answer !== "secret note"; i++) {
      answer = await askB();
      if (answer !== "secret note") await new Promise((r) => setTimeout(r, 50));
    }
    expect(answer).toBe("secret note");

    await revoke(a, { path: "/notes", all: true, by: "test" });
    const revokedAt = Date.now();
    let refusedAfterMs = Number.POSITIVE_INFINITY;
    while (Date.now() - revokedAt < 1000) {
      if ((await askB()) !== "secret note") {
        refusedAfterMs = Date.now() - revokedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(refusedAfterMs).toBeLessThan(1000);
    expect(await askB()).toBe("LOCARA_E_PROMPT_PENDING");
  });

  it("server rules set on one host apply on the other, and deny wins over a grant", async () => {
    await grantNotes();
    const until = async (want: string) => {
      let answer = "";
      for (let i = 0; i < 50 && answer !== want; i++) {
        answer = await askB();
        if (answer !== want) await new Promise((r) => setTimeout(r, 20));
      }
      return answer;
    };
    expect(await until("secret note")).toBe("secret note");
    await setServerRules(a, { deny: { "fs.read": [join(dir, "notes")] } }, "test");
    expect(await until("LOCARA_E_DENIED")).toBe("LOCARA_E_DENIED");
    await setServerRules(a, {}, "test");
    expect(await until("secret note")).toBe("secret note");
  });

  it("a disable on one host refuses on the other", async () => {
    const { setAppState } = await import("../host/update-ops.ts");
    await setAppState(a, { path: "/notes", disabled: true, reason: "incident", by: "test" });
    let refused = false;
    for (let i = 0; i < 50 && !refused; i++) {
      refused = await askB().then(
        () => false,
        (error: { code?: string }) => error.code === "LOCARA_E_DISABLED",
      );
      if (!refused) await new Promise((r) => setTimeout(r, 20));
    }
    expect(refused).toBe(true);
  });
});
