import { existsSync, readFileSync } from "node:fs";
import { link, mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocaraError } from "../../src/errors.ts";
import { parseManifest } from "../../src/manifest/parse.ts";
import type { AuditEvent, PluginContext } from "../../src/plugins/context.ts";
import { fsModule } from "../../src/plugins/fs.ts";
import { openVerifiedDir } from "../../src/plugins/fs-path.ts";
import { approveAll, compilePolicy } from "../../src/policy/compile.ts";
import type { HostFunction } from "../../src/sandbox/host-calls.ts";

interface Case {
  name: string;
  op: string;
  args: unknown[];
  expect?: unknown;
  code?: string;
  type?: string;
  then?: Case;
  absent?: string;
  unchanged?: string;
}
const corpus = JSON.parse(readFileSync(new URL("./paths/cases.json", import.meta.url), "utf8")) as {
  cases: Case[];
};

let root: string;
let fs: Readonly<Record<string, HostFunction>>;
const events: AuditEvent[] = [];
const fill = (v: unknown): unknown =>
  typeof v === "string" ? v.replaceAll("{root}", root) : Array.isArray(v) ? v.map(fill) : v;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "locara-paths-"));
  const file = async (p: string, text: string) => {
    await mkdir(join(root, p, ".."), { recursive: true });
    await writeFile(join(root, p), text);
  };
  await file("granted/a.txt", "A");
  await file("granted/sub/b.txt", "B");
  await file("granted/sub/private/p.txt", "P");
  await file("granted/.hidden", "H");
  await file("granted/log.txt", "L");
  await file("granted/ren.txt", "R");
  await file("granted/tree/leaf.txt", "T");
  await file("secret/s.txt", "S");
  await file("grantedx/x.txt", "X");
  const ln = (target: string, at: string) => symlink(target, join(root, at));
  await ln(join(root, "granted/a.txt"), "granted/link-in");
  await ln(join(root, "secret/s.txt"), "granted/link-out");
  await ln(join(root, "secret/s.txt"), "granted/link-out-2");
  await ln(join(root, "secret"), "granted/link-dir-out");
  await ln(join(root, "granted/chain2"), "granted/chain1");
  await ln(join(root, "secret/s.txt"), "granted/chain2");
  await ln("../secret/s.txt", "granted/rel-out");
  await ln(join(root, "granted/sub/private/p.txt"), "granted/link-private");
  await ln(join(root, "secret/created.txt"), "granted/dangling");
  await ln(join(root, "secret"), "granted/tree/out");
  await link(join(root, "granted/a.txt"), join(root, "granted/hard"));

  const manifest = parseManifest(
    JSON.stringify({
      name: "paths",
      version: "1.0.0",
      entry: "a.ts",
      permissions: {
        "fs.read": [`${root}/granted`],
        "fs.write": [`${root}/granted`],
        deny: { "fs.read": [`${root}/granted/sub/private`] },
      },
    }),
    { file: "locara.json" },
  );
  const policy = compilePolicy({
    manifest,
    installation: "/apps/paths",
    home: root,
    approvals: approveAll(manifest, "approved"),
  });
  const ctx: PluginContext = {
    installation: "/apps/paths",
    policy,
    audit: { write: (e) => void events.push(e) },
    now: () => 0,
    environment: {},
  };
  fs = fsModule(ctx).functions;
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function call(c: Case): Promise<{ value?: unknown; code?: string }> {
  try {
    return { value: await fs[c.op]!(fill(c.args) as unknown[]) };
  } catch (error) {
    if (!(error instanceof LocaraError)) throw error;
    return { code: error.code };
  }
}

async function check(c: Case): Promise<void> {
  const secretBefore = c.unchanged ? readFileSync(fill(c.unchanged) as string, "utf8") : undefined;
  const result = await call(c);
  if (c.code !== undefined) expect(result.code).toBe(c.code);
  else expect(result.code, `${c.name}: ${result.code}`).toBeUndefined();
  if ("expect" in c) expect(result.value).toEqual(c.expect);
  if (c.type !== undefined) expect((result.value as { type: string }).type).toBe(c.type);
  if (c.absent) expect(existsSync(fill(c.absent) as string)).toBe(false);
  if (c.unchanged) expect(readFileSync(fill(c.unchanged) as string, "utf8")).toBe(secretBefore);
  if (c.then) await check(c.then);
}

describe("locara:fs path suite", () => {
  it("has at least 40 cases", () => {
    expect(corpus.cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(corpus.cases)("$name", async (c) => {
    await check(c);
  });

  it("a folder swapped for a link between check and use is never followed (raced in a loop)", async () => {
    // Another process keeps replacing granted/race (a real folder) with a link to the secret
    // folder. Every read either succeeds with the granted content or is refused; none returns
    // the secret, whatever the timing.
    await mkdir(join(root, "granted/race"), { recursive: true });
    await writeFile(join(root, "granted/race/f.txt"), "SAFE");
    await mkdir(join(root, "granted/race-real"), { recursive: true });
    await writeFile(join(root, "granted/race-real/f.txt"), "SAFE");
    await symlink(join(root, "secret"), join(root, "granted/race-link"));
    await writeFile(join(root, "secret/f.txt"), "SECRET");
    let stop = false;
    const swapper = (async () => {
      let linked = false;
      while (!stop) {
        await rename(
          join(root, linked ? "granted/race-real" : "granted/race-link"),
          join(root, "granted/race-tmp"),
        ).catch(() => {});
        await rename(
          join(root, "granted/race"),
          join(root, linked ? "granted/race-link" : "granted/race-real"),
        ).catch(() => {});
        await rename(join(root, "granted/race-tmp"), join(root, "granted/race")).catch(() => {});
        linked = !linked;
      }
    })();
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const r = await call({ name: "race", op: "readTextFile", args: [`${root}/granted/race/f.txt`] });
      seen.add(r.code ?? String(r.value));
    }
    stop = true;
    await swapper;
    expect(seen.has("SECRET")).toBe(false);
    expect(
      [...seen].every((s) => ["SAFE", "LOCARA_E_DENIED", "LOCARA_E_NOT_DECLARED", "LOCARA_E_IO"].includes(s)),
    ).toBe(true);
  });

  it("a checked folder path whose component became a link is refused at open, not followed", async () => {
    // What the race above rarely reaches: the check saw a real folder, then a component was
    // replaced by a link. Opening the checked path follows that intermediate link, and the
    // verification through /proc/self/fd sees the real location and refuses.
    await mkdir(join(root, "secret/inner"), { recursive: true });
    await symlink(join(root, "secret"), join(root, "granted/swapped"));
    const checked = `${root}/granted/swapped/inner`; // as if canonicalised before the swap
    const error = await openVerifiedDir("fs.read", checked).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocaraError);
    expect((error as LocaraError).code).toBe("LOCARA_E_DENIED");
    expect((error as LocaraError).message).toContain("the path changed between the check and its use");
    const fine = await openVerifiedDir("fs.read", `${root}/granted/sub`);
    expect(fine.at("b.txt")).toMatch(/^\/proc\/self\/fd\/\d+\/b\.txt$/);
    await fine.close();
  });

  it("audits every decided call", () => {
    expect(events.length).toBeGreaterThan(30);
    expect(events.every((e) => e.installation === "/apps/paths" && e.kind.startsWith("fs."))).toBe(true);
    expect(events.some((e) => e.decision === "denied" && e.error === "LOCARA_E_NOT_DECLARED")).toBe(true);
  });
});
