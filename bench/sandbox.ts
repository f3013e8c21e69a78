// npm run bench:sandbox — the sandbox against a Deno subprocess doing the same work, in one run.
// Timings compare within this run on this machine; they are not tests.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseManifest } from "../src/manifest/parse.ts";
import type { PluginContext } from "../src/plugins/context.ts";
import { fsModule } from "../src/plugins/fs.ts";
import { approveAll, compilePolicy } from "../src/policy/compile.ts";
import { SandboxEngine } from "../src/sandbox/engine.ts";
import { FetchService } from "../src/sandbox/fetch-handler.ts";
import { runModule } from "../src/sandbox/run-module.ts";
import { EngineSlot } from "../src/sandbox/slot.ts";

const LIMITS = { memoryMb: 64, cpuMsPerRequest: 10_000, wallMsPerRequest: 60_000, stackKb: 128 };
const DENO = fileURLToPath(new URL("../node_modules/.bin/deno", import.meta.url));
const CALLS = 2000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (n: number) => `${n.toFixed(2)} ms`;
const now = () => performance.now();

async function rssBytes(pid: number | "self"): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

const dir = await mkdtemp(join(tmpdir(), "locara-bench-"));
const file = join(dir, "granted.txt");
await writeFile(file, "x");

// --- Locara ---------------------------------------------------------------------------------
const cold: number[] = [];
for (let i = 0; i < 15; i++) {
  const t = now();
  const engine = await SandboxEngine.create(`/bench/cold${i}`, LIMITS);
  engine.request("1 + 1");
  cold.push(now() - t);
  engine.dispose();
}

const warm = await SandboxEngine.create("/bench/warm", LIMITS);
const contexts: number[] = [];
for (let i = 0; i < 300; i++) {
  const t = now();
  warm.request("({ ok: true })");
  contexts.push(now() - t);
}

// The same, with the guest runtime every app gets (console, timers, web globals compiled on first use).
const silent = { write: () => {} };
const runtimeContexts: number[] = [];
const webFirstUse: number[] = [];
for (let i = 0; i < 300; i++) {
  let t = now();
  await runModule(warm, "export default 1", [], { output: silent });
  runtimeContexts.push(now() - t);
  t = now();
  await runModule(warm, "export default new Response(new URL('http://h/a').pathname).status", [], {
    output: silent,
  });
  webFirstUse.push(now() - t);
}

// A web app's handler, loaded once, answering requests.
const handlerSlot = new EngineSlot("/bench/web", LIMITS);
const service = new FetchService(
  handlerSlot,
  "export default { fetch: (r) => new Response('hello ' + new URL(r.url).searchParams.get('name')) };",
  [],
  silent,
);
const handlerRequests: number[] = [];
for (let i = 0; i < 2000; i++) {
  const t = now();
  const outcome = await service.handle({
    method: "GET",
    url: "http://127.0.0.1/?name=ada",
    headers: [],
    body: null,
  });
  handlerRequests.push(now() - t);
  if (!outcome.ok) throw new Error(JSON.stringify(outcome));
}
await service.close();
await handlerSlot.dispose();

(globalThis as { gc?: () => void }).gc?.();
const before = await rssBytes("self");
const idle: SandboxEngine[] = [];
for (let i = 0; i < 200; i++) {
  const engine = await SandboxEngine.create(`/bench/idle${i}`, LIMITS);
  engine.request("globalThis.ready = true");
  idle.push(engine);
}
(globalThis as { gc?: () => void }).gc?.();
const perInstallation = ((await rssBytes("self")) - before) / idle.length;
for (const engine of idle) engine.dispose();

const manifest = parseManifest(
  JSON.stringify({ name: "bench", version: "1.0.0", entry: "a.ts", permissions: { "fs.read": [dir] } }),
  {
    file: "locara.json",
  },
);
const ctx: PluginContext = {
  installation: "/bench/fs",
  policy: compilePolicy({ manifest, approvals: approveAll(manifest, "approved") }),
  audit: { write: () => {} },
  now: Date.now,
  environment: {},
};
const guestLoop = `import { stat } from "locara:fs";
  const t0 = Date.now(); for (let i = 0; i < ${CALLS}; i++) await stat(${JSON.stringify(file)});
  export default Date.now() - t0;`;
const sandboxCalls: number[] = [];
for (let round = 0; round < 3; round++) {
  const t = now();
  const result = await runModule(warm, guestLoop, [fsModule(ctx)]);
  if (!result.ok) throw new Error(JSON.stringify(result));
  sandboxCalls.push((now() - t) / CALLS);
}
const rawCalls: number[] = [];
for (let round = 0; round < 3; round++) {
  const t = now();
  for (let i = 0; i < CALLS; i++) await stat(file);
  rawCalls.push((now() - t) / CALLS);
}
warm.dispose();

// --- Deno subprocess doing the same ------------------------------------------------------------
const denoScript = join(dir, "deno.js");
await writeFile(
  denoScript,
  `const file = Deno.args[0];
await Deno.stat(file);
console.log("ready");
if (Deno.args[1] === "loop") {
  const t0 = performance.now();
  for (let i = 0; i < ${CALLS}; i++) await Deno.stat(file);
  console.log(String((performance.now() - t0) / ${CALLS}));
} else if (Deno.args[1] === "idle") {
  await new Promise(() => setInterval(() => {}, 1 << 30));
}`,
);
const env = {
  ...process.env,
  DENO_DIR: join(dir, "deno-dir"),
  DENO_NO_UPDATE_CHECK: "1",
  DENO_NO_PROMPT: "1",
  NO_COLOR: "1",
};

function deno(
  mode: "once" | "loop" | "idle",
): Promise<{ readyMs: number; lines: string[]; pid: number; kill: () => void; done: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const t = now();
    const child = spawn(DENO, ["run", "--quiet", `--allow-read=${file}`, denoScript, file, mode], {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines: string[] = [];
    const done = new Promise<void>((r) => child.on("exit", () => r()));
    let readyMs = 0;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      for (const line of chunk.split("\n").filter(Boolean)) {
        lines.push(line);
        if (line === "ready") {
          readyMs = now() - t;
          if (mode !== "loop")
            resolve({ readyMs, lines, pid: child.pid!, kill: () => child.kill("SIGKILL"), done });
        }
      }
    });
    child.on("error", reject);
    if (mode === "loop") done.then(() => resolve({ readyMs, lines, pid: child.pid!, kill: () => {}, done }));
  });
}

const denoCold: number[] = [];
for (let i = 0; i < 8; i++) {
  const run = await deno("once");
  denoCold.push(run.readyMs);
  await run.done;
}
const idleDeno = await deno("idle");
const denoRss = await rssBytes(idleDeno.pid);
idleDeno.kill();
await idleDeno.done;
const loop = await deno("loop");
const denoCall = Number(loop.lines[1]);

// --- Report -----------------------------------------------------------------------------------
const callOverheadUs = (median(sandboxCalls) - median(rawCalls)) * 1000;
const rows = [
  "| measure | Locara sandbox | Deno subprocess | ratio (Deno ÷ Locara) | goal |",
  "|---|---:|---:|---:|---|",
  `| cold start (instance + context + first call), median | ${ms(median(cold))} | ${ms(median(denoCold))} | ${(median(denoCold) / median(cold)).toFixed(1)}× | ≤ 5 ms; ≥ 5× faster than Deno |`,
  `| fresh request context, median | ${ms(median(contexts))} | — | — | ≤ 1 ms |`,
  `| … with the guest runtime (console, timers, web globals not yet used), median | ${ms(median(runtimeContexts))} | — | — | ≤ 1 ms |`,
  `| … and first use of the web globals (URL + Response compiled), median | ${ms(median(webFirstUse))} | — | — | |`,
  `| request to a loaded \`fetch(request)\` handler (URL + Response), median | ${ms(median(handlerRequests))} | — | — | |`,
  `| memory per idle installation (RSS, 200 of them) | ${(perInstallation / 1024 / 1024).toFixed(2)} MiB | ${(denoRss / 1024 / 1024).toFixed(1)} MiB | ${(denoRss / perInstallation).toFixed(1)}× | ≤ 1 MB; ≥ 10× less than Deno |`,
  `| permitted \`stat\` of a granted file, per call | ${(median(sandboxCalls) * 1000).toFixed(1)} µs | ${(denoCall * 1000).toFixed(1)} µs | — | |`,
  `| … of which beyond Node's own \`fs.promises.stat\` (${(median(rawCalls) * 1000).toFixed(1)} µs) | ${callOverheadUs.toFixed(1)} µs | — | — | ≤ 10 µs |`,
];
console.log(rows.join("\n"));
console.log(`\nNode ${process.versions.node}, Deno 2.9.5; ${CALLS} calls per round, median of 3 rounds.`);
