import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../cli/test-cli.ts";
import { Host } from "../host/host.ts";
import { freshDatabase, type TestDatabase } from "../store/test-databases.ts";
import { type RunningServer, startServer } from "./server.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
let dir: string;
let home: string;
let userHome: string;
let database: TestDatabase;
let host: Host;
let server: RunningServer;

const get = async (path: string) => {
  const response = await fetch(new URL(path.slice(1), server.appsUrl));
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json: json as Record<string, unknown> };
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "locara-host-"));
  home = join(dir, "home");
  userHome = join(dir, "user");
  await mkdir(join(userHome, "Documents", "reports"), { recursive: true });
  await writeFile(join(userHome, "Documents", "reports", "q3.txt"), "x".repeat(10_000));
  await mkdir(join(dir, "inspect", "a"), { recursive: true });
  await mkdir(home, { recursive: true });
  process.env.LOCARA_HOME = home;
  database = await freshDatabase();
  host = await Host.start({
    home,
    databaseUrl: database.url,
    userHome,
    environment: { PATH: process.env.PATH },
  });
  server = await startServer({ host, socket: join(home, "admin.sock"), port: 0 });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await host?.close();
  await database?.drop();
});

describe("the Clace scenario, end to end against a real host", () => {
  it("install without approval, approve, update to run rm, grant for 30 days, revoke: every step audited", async () => {
    const app = join(dir, "disk_usage");
    await cp(join(root, "examples", "disk_usage"), app, { recursive: true });
    const folder = join(dir, "inspect");
    // The example may read /tmp, which holds this test's whole folder: narrow it to one folder.
    const yaml = join(app, "locara.yaml");
    await writeFile(yaml, (await readFile(yaml, "utf8")).replace('path: "/tmp"', `path: "${folder}"`));

    // 1. Install without approval: the audit lists du and readlink; nothing runs yet.
    const created = await cli("app", "create", app, "/utils/disk_usage");
    expect(created.code, created.err).toBe(0);
    expect(created.out).toContain("run du -sh -- *  [pending]");
    expect(created.out).toContain(`fs.read ${folder}  [pending]`);
    expect(created.out).toContain("run readlink -f -- *  [pending]");
    expect(created.out.trimEnd().split("\n").at(-1)).toBe("4 permissions need approval");
    const before = await get(`/utils/disk_usage/?format=json&folder=${encodeURIComponent(folder)}`);
    expect(before.status).toBe(403);
    expect(before.json.error).toBe("LOCARA_E_NOT_APPROVED");
    expect(String(before.json.message)).toContain("run locara app approve /utils/disk_usage");

    // 2. Approve: it works.
    const approved = await cli("app", "approve", "/utils/disk_usage");
    expect(approved.out.trimEnd().split("\n").at(-1)).toBe("approved");
    const after = await get(`/utils/disk_usage/?format=json&folder=${encodeURIComponent(folder)}`);
    expect(after.status).toBe(200);
    expect(after.json.rows).toEqual([{ name: "a", size: expect.stringMatching(/K$/) }]);

    // 3. Update the code to run rm: the install succeeds, the audit flags it, the call fails.
    const source = await readFile(join(app, "src", "app.ts"), "utf8");
    await writeFile(
      join(app, "src", "app.ts"),
      source.replace(
        'const json = url.searchParams.get("format") === "json";',
        `const json = url.searchParams.get("format") === "json";
    if (url.searchParams.get("clean")) {
      try { await run("rm", ["-rf", "--", folder]); } catch (e) { return Response.json({ error: e.code, message: e.message }, { status: 403 }); }
    }`,
      ),
    );
    const updated = await cli("app", "update", "/utils/disk_usage");
    expect(updated.code).toBe(0);
    expect(updated.out).toContain("Code uses nothing declares (these will fail at run time):");
    expect(updated.out).toContain('run.run("rm", ["-rf", "--", …])');
    expect(updated.out).toContain("version 2 is live: approved");
    const rm = await get(`/utils/disk_usage/?clean=1&format=json&folder=${encodeURIComponent(folder)}`);
    expect(rm.json.error).toBe("LOCARA_E_NOT_DECLARED");
    expect(rm.json.message).toBe(
      `app /utils/disk_usage is not permitted to run "rm -rf -- ${folder}": argument 0 is "rm", declared commands: du, readlink: update the app or run locara app approve /utils/disk_usage`,
    );
    expect((await readdir(folder)).length).toBe(1); // nothing was removed

    // 4. Set ~/Documents to ask: a served request cannot wait, so the question is kept.
    const asking = await cli(
      "app",
      "approve",
      "/utils/disk_usage",
      "--state",
      "ask",
      "--only",
      "fs.read ~/Documents",
    );
    expect(asking.code, asking.err).toBe(0);
    const docs = encodeURIComponent(join(userHome, "Documents"));
    const asked = await get(`/utils/disk_usage/?format=json&folder=${docs}`);
    expect(asked.json.error).toBe("LOCARA_E_PROMPT_PENDING");
    const requests = await cli("requests", "--json");
    const pending = JSON.parse(requests.out) as { id: string; kind: string }[];
    expect(pending.map((r) => r.kind)).toEqual(["fs.read"]);

    // 5. Grant it for 30 days by answering the request: it works; revoke: it asks again.
    const granted = await cli(
      "grant",
      "/utils/disk_usage",
      "--request",
      pending[0]!.id,
      "--for",
      "30d",
      "--json",
    );
    expect(granted.code).toBe(0);
    const grant = JSON.parse(granted.out) as { grant: { term: string; until: string }; answered: string[] };
    expect(grant.grant.term).toBe("until");
    expect(Date.parse(grant.grant.until) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(grant.answered).toEqual([pending[0]!.id]);
    const allowed = await get(`/utils/disk_usage/?format=json&folder=${docs}`);
    expect(allowed.status).toBe(200);
    expect(allowed.json.rows).toEqual([{ name: "reports", size: expect.stringMatching(/K$/) }]);
    expect((await cli("revoke", "/utils/disk_usage", "--all")).out).toMatch(/^revoked 1 grant/);
    expect((await get(`/utils/disk_usage/?format=json&folder=${docs}`)).json.error).toBe(
      "LOCARA_E_PROMPT_PENDING",
    );

    // 6. The audit log recorded each step.
    await host.audit.flush();
    const events = (await cli("audit", "--app", "/utils/disk_usage", "--limit", "1000", "--json")).out
      .trim()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as {
            call: string;
            decision: string;
            kind: string;
            resource: string;
            error?: string;
          },
      );
    const calls = events.map((e) => e.call);
    for (const step of [
      "admin.install",
      "admin.approve",
      "admin.update",
      "admin.ask",
      "admin.grant",
      "admin.revoke",
    ]) {
      expect(calls, step).toContain(step);
    }
    expect(
      events.some((e) => e.kind === "run" && e.decision === "denied" && e.resource.startsWith("rm ")),
    ).toBe(true);
    expect(
      events.some((e) => e.kind === "run" && e.decision === "granted" && e.resource.startsWith("du ")),
    ).toBe(true);
    expect(events.some((e) => e.error === "LOCARA_E_PROMPT_PENDING")).toBe(true);
  });

  it("disable refuses at once and records an incident; enable brings it back", async () => {
    expect((await cli("app", "disable", "/utils/disk_usage", "--reason", "incident 7")).code).toBe(0);
    const refused = await get("/utils/disk_usage/");
    expect(refused.status).toBe(503);
    expect(refused.text).toContain("app /utils/disk_usage is disabled (incident 7)");
    expect((await cli("app", "enable", "/utils/disk_usage")).code).toBe(0);
    expect((await get("/utils/disk_usage/?format=json&folder=/tmp")).status).not.toBe(503);
    const list = JSON.parse((await cli("app", "list", "--json")).out) as {
      apps: { path: string; state: string }[];
    };
    expect(list.apps.find((a) => a.path === "/utils/disk_usage")?.state).toBe("active");
  });
});

describe("route access from the command line", () => {
  it("routes show and set, and app password, change who may reach the app", async () => {
    expect((await cli("routes", "show", "/utils/disk_usage")).out).toBe(
      "  /  public\n  anything else: private\n",
    );
    expect((await cli("routes", "set", "/utils/disk_usage", "/", "limited")).code).toBe(0);
    expect((await get("/utils/disk_usage/")).status).toBe(401);
    const file = join(dir, "password.txt");
    await writeFile(file, "correct horse\n");
    expect((await cli("app", "password", "/utils/disk_usage", "--password-file", file)).out).toBe(
      "/utils/disk_usage: password set\n",
    );
    const shown = JSON.parse((await cli("routes", "show", "/utils/disk_usage", "--json")).out) as {
      access: string;
      changed: boolean;
    }[];
    expect(shown).toEqual([expect.objectContaining({ path: "/", access: "limited", changed: true })]);
    expect((await cli("routes", "set", "/utils/disk_usage", "/", "public")).code).toBe(0);
    expect((await get("/utils/disk_usage/?format=json&folder=/nowhere")).status).not.toBe(401);
  });
});

describe("request bodies", () => {
  it("a body larger than the limit is refused as it arrives, with or without a length", async () => {
    const chunk = new Uint8Array(1024 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 9) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const url = new URL("utils/disk_usage/", server.appsUrl);
    const chunked = await fetch(url, { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(413);
    const sized = await fetch(url, { method: "POST", body: new Uint8Array(9 * 1024 * 1024) });
    expect(sized.status).toBe(413);
  });
});

describe("the admin API over HTTP for remote admins", () => {
  it("answers only with the exact bearer token, and never without --admin-token", async () => {
    const remote = await startServer({
      host,
      socket: join(home, "remote.sock"),
      port: 0,
      adminToken: "s3cret-token",
    });
    try {
      const url = new URL("_locara/api/v1/apps", remote.consoleUrl);
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: "Bearer s3cret-tokeX" } })).status).toBe(401);
      const ok = await fetch(url, { headers: { authorization: "Bearer s3cret-token" } });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { apps: { path: string }[] }).apps.map((a) => a.path)).toContain(
        "/utils/disk_usage",
      );
      // The server started without a token does not serve the admin API over HTTP at all.
      expect((await fetch(new URL("_locara/api/v1/apps", server.consoleUrl))).status).toBe(404);
    } finally {
      await remote.close();
    }
  });
});

describe("bad input installs nothing and says why", () => {
  const attempt = async (setup: (app: string) => Promise<void>, path: string) => {
    const app = await mkdtemp(join(dir, "bad-"));
    await setup(app);
    const before = (await cli("app", "list", "--json")).out;
    const result = await cli("app", "create", app, path);
    expect(result.code).not.toBe(0);
    expect((await cli("app", "list", "--json")).out).toBe(before);
    expect((await readdir(join(home, "apps"))).filter((n) => n.startsWith(".staging"))).toEqual([]);
    return result.err;
  };
  const manifest = "name: bad\nversion: 1.0.0\nentry: app.ts\n";

  it("a folder without a manifest", async () => {
    expect(await attempt(async () => {}, "/bad1")).toMatch(/no manifest in \/tmp\/locara-host-\w+\/bad-\w+/);
  });
  it("an invalid manifest", async () => {
    expect(
      await attempt((app) => writeFile(join(app, "locara.yaml"), "name: Bad Name\nversion: one\n"), "/bad2"),
    ).toContain("locara.yaml:1");
  });
  it("code that does not parse", async () => {
    const err = await attempt(async (app) => {
      await writeFile(join(app, "locara.yaml"), manifest);
      await writeFile(join(app, "app.ts"), "export default { fetch( ");
    }, "/bad3");
    expect(err).toMatch(/app\.ts/);
  });
  it("a mount path that exists", async () => {
    expect(
      await attempt(async (app) => {
        await writeFile(join(app, "locara.yaml"), manifest);
        await writeFile(join(app, "app.ts"), "export default { fetch: () => new Response('x') };");
      }, "/utils/disk_usage"),
    ).toContain('installation "/utils/disk_usage" already exists');
  });
  it("a path with ..", async () => {
    expect(
      await attempt(async (app) => {
        await writeFile(join(app, "locara.yaml"), manifest);
        await writeFile(join(app, "app.ts"), "export default { fetch: () => new Response('x') };");
      }, "/utils/../etc"),
    ).toContain("a mount path is");
  });
  it("a command with no host says how to start one", async () => {
    const saved = process.env.LOCARA_HOME;
    process.env.LOCARA_HOME = join(dir, "nowhere");
    try {
      const result = await cli("app", "list");
      expect(result.code).not.toBe(0);
      expect(result.err).toContain("start one with locara server");
    } finally {
      process.env.LOCARA_HOME = saved;
    }
  });
});
