import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(root, "bin", "locara.js");
let dir: string;
let app: string;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "locara-serve-"));
  app = join(dir, "notes");
  await mkdir(join(app, "notes"), { recursive: true });
  await writeFile(join(app, "notes", "today.md"), "# Today\nship it\n");
  await cp(join(root, "node_modules", "hono"), join(app, "node_modules", "hono"), { recursive: true });
  await writeFile(
    join(app, "locara.yaml"),
    `name: notes
version: 1.0.0
entry: app.ts
permissions:
  fs.read: [{ path: "${join(app, "notes")}", reason: "the notes it shows" }]
`,
  );
  await writeFile(
    join(app, "app.ts"),
    `import { Hono } from "hono";
import { readTextFile } from "locara:fs";
const app = new Hono();
app.get("/notes/:name", async (c) => c.text(await readTextFile(${JSON.stringify(join(app, "notes"))} + "/" + c.req.param("name"))));
app.get("/passwd", async (c) => {
  try { return c.text(await readTextFile("/etc/passwd")); }
  catch (e) { return c.json({ code: e.code, message: e.message }, 403); }
});
app.get("/crash", () => { throw new Error("the app broke"); });
export default app;
`,
  );
});

/** Start `locara run` on a free port; resolve with the URL it prints. */
function start(...args: string[]): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  return startApp(app, ...args);
}

function startApp(
  target: string,
  ...args: string[]
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [bin, "run", target, "--port", "0", ...args], {
    env: { ...process.env, LOCARA_HOME: join(dir, "home"), CI: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let err = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      const match = /serving app [\w-]+ at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(err);
      if (match) resolve({ child, url: match[1]!, stderr: () => err });
    });
    child.on("exit", (code) => reject(new Error(`locara run exited (${code}) before serving:\n${err}`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on("exit", (code) => resolve(code));
  });

describe("locara run serves a web app's fetch handler", () => {
  it("serves on 127.0.0.1, enforces the manifest per call, survives app errors, stops on Ctrl-C", async () => {
    const { child, url, stderr } = await start("--approve", "all");
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const note = await fetch(new URL("notes/today.md", url));
    expect(note.status).toBe(200);
    expect(await note.text()).toBe("# Today\nship it\n");

    const denied = await fetch(new URL("passwd", url));
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ code: "LOCARA_E_NOT_DECLARED" });

    const crash = await fetch(new URL("crash", url));
    expect(crash.status).toBe(500);
    expect(await crash.text()).toBe("Internal Server Error"); // Hono's own error handler
    expect(stderr()).toContain("Error: the app broke"); // its console.error reaches the terminal

    // Still serving after the failure.
    expect((await fetch(new URL("notes/today.md", url))).status).toBe(200);

    child.kill("SIGINT");
    expect(await exited(child)).toBe(0);

    const audit = (await readFile(join(dir, "home", "audit", "notes.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(audit.map((e: { kind: string; decision: string }) => `${e.kind}:${e.decision}`)).toEqual(
      expect.arrayContaining(["fs.read:granted", "fs.read:denied"]),
    );
  });

  it("without approval and without a terminal, a declared permission is denied with the fix", async () => {
    const { child, url } = await start("--approve", "none");
    const answer = await fetch(new URL("notes/today.md", url));
    expect(answer.status).toBe(500);
    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);
  });

  it("the README's web example answers and is refused what it did not declare", async () => {
    const { child, url } = await startApp(join(root, "examples", "hello-web"), "--approve", "all");
    expect(await (await fetch(new URL("?name=ada", url))).text()).toBe("hello, ada\n");
    const secret = await fetch(new URL("secret", url));
    expect(secret.status).toBe(403);
    expect(await secret.json()).toEqual({ refused: "LOCARA_E_NOT_DECLARED" });
    child.kill("SIGINT");
    expect(await exited(child)).toBe(0);
  });

  it("the disk usage example lists folder sizes with du and readlink, and is refused rm", async () => {
    const folder = join(dir, "usage");
    await mkdir(join(folder, "big"), { recursive: true });
    await mkdir(join(folder, "small"), { recursive: true });
    await writeFile(join(folder, "big", "blob"), Buffer.alloc(256 * 1024, 1));
    await writeFile(join(folder, "not-a-folder.txt"), "x");
    const { child, url } = await startApp(join(root, "examples", "disk_usage"), "--approve", "all");
    const json = (await (
      await fetch(new URL(`?format=json&folder=${encodeURIComponent(folder)}`, url))
    ).json()) as { folder: string; rows: { name: string; size: string }[] };
    expect(json.folder).toBe(folder);
    expect(json.rows.map((r) => r.name)).toEqual(["big", "small"]);
    expect(json.rows[0]?.size).toMatch(/^2\d\dK$/);
    const html = await (await fetch(new URL(`?folder=${encodeURIComponent(folder)}`, url))).text();
    expect(html).toContain("<td>big</td>");
    // A folder the manifest does not grant: readlink runs (its argument pattern allows any path),
    // listing it is refused.
    const refused = await fetch(new URL("?format=json&folder=/etc", url));
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe("LOCARA_E_NOT_DECLARED");
    child.kill("SIGINT");
    expect(await exited(child)).toBe(0);

    // The same manifest, with a script that tries rm: refused with the argument and the fix.
    const script = join(dir, "try-rm", "rm.ts");
    await mkdir(join(dir, "try-rm"), { recursive: true });
    await writeFile(
      script,
      `import { run } from "locara:run";\nexport default async function main() { return run("rm", ["-rf", ${JSON.stringify(folder)}]); }\n`,
    );
    const rm = spawn(
      process.execPath,
      [
        bin,
        "run",
        script,
        "--manifest",
        join(root, "examples", "disk_usage", "locara.yaml"),
        "--approve",
        "all",
      ],
      { env: { ...process.env, LOCARA_HOME: join(dir, "home"), CI: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(rm);
    let err = "";
    rm.stderr!.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    expect(await exited(rm)).toBe(1);
    expect(err).toContain(
      `app disk-usage is not permitted to run "rm -rf ${folder}": argument 0 is "rm", declared commands: du, readlink: update the app or run locara app approve disk-usage`,
    );
    expect(
      await fetch(new URL(`?format=json&folder=${encodeURIComponent(folder)}`, url)).catch(() => "stopped"),
    ).toBe("stopped");
  });

  it("a port in use is a clear error", async () => {
    const first = await start("--approve", "all");
    const port = new URL(first.url).port;
    const second = spawn(process.execPath, [bin, "run", app, "--port", port], {
      env: { ...process.env, LOCARA_HOME: join(dir, "home"), CI: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(second);
    let err = "";
    second.stderr!.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    expect(await exited(second)).toBe(2);
    expect(err).toContain(`could not listen on "127.0.0.1:${port}"`);
    expect(err).toContain("pass --port with another port");
  });
});
