// npm run bench:run-net — a permitted subprocess and a permitted fetch from guest code, each
// against the same operation done directly from Node, in one run. Only 127.0.0.1 is contacted.
// Timings compare within this run on this machine; they are not tests.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseManifest } from "../src/manifest/parse.ts";
import type { PluginContext } from "../src/plugins/context.ts";
import { NET_DEFAULTS, netModule } from "../src/plugins/net.ts";
import { RUN_DEFAULTS, runCommandModule } from "../src/plugins/run.ts";
import { resolveProgram } from "../src/plugins/run-program.ts";
import { compilePolicy } from "../src/policy/compile.ts";
import { runModule } from "../src/sandbox/run-module.ts";
import { EngineSlot } from "../src/sandbox/slot.ts";

const ROUNDS = 7;
const RUNS = 200;
const FETCHES = 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;

const server = createServer((_req, res) => res.end("hello"));
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const port = (server.address() as AddressInfo).port;
const url = `http://127.0.0.1:${port}/`;

const TRUE = resolveProgram("true", RUN_DEFAULTS.pathEnv)!;
const manifest = parseManifest(
  JSON.stringify({
    name: "bench",
    version: "1.0.0",
    entry: "a.ts",
    permissions: { run: [{ command: "true", args: [] }], net: [`http://127.0.0.1:${port}`] },
  }),
  { file: "locara.json" },
);
const ctx: PluginContext = {
  installation: "/bench/run-net",
  policy: compilePolicy({
    manifest,
    installation: "/bench/run-net",
    approvals: manifest.permissions.map((p) => ({
      kind: p.kind,
      scope: p.entry,
      state: "approved" as const,
      ...(p.kind === "run" ? { pinned: TRUE } : {}),
    })),
    // The loopback benchmark server is allowed by server config, as an admin would.
    serverRules: { net: { allowPrivate: ["127.0.0.1/32"] } },
  }),
  audit: { write: () => {} },
  now: Date.now,
  environment: {},
};
const slot = new EngineSlot("/bench/run-net", {
  memoryMb: 64,
  cpuMsPerRequest: 600_000,
  wallMsPerRequest: 600_000,
  stackKb: 128,
});
const modules = [runCommandModule(ctx), netModule(ctx, NET_DEFAULTS)];

/** Per-operation time of `count` operations done by guest code, in ms. */
async function inGuest(body: string, count: number): Promise<number> {
  const code = `import { run } from "locara:run";
import { fetch } from "locara:net";
for (let i = 0; i < ${count}; i++) { ${body} }
export default 0;`;
  // Timed from the host (the guest has no high-resolution clock); one context per batch.
  const t0 = performance.now();
  const result = await runModule(await slot.acquire(), code, modules, { output: { write: () => {} } });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return (performance.now() - t0) / count;
}

function nodeSpawn(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(TRUE, [], { env: {}, cwd: "/", detached: true, stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.end();
    child.on("error", reject);
    child.on("close", () => resolve());
  });
}

async function inNode(op: () => Promise<unknown>, count: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await op();
  return (performance.now() - t0) / count;
}

const rows: { what: string; locara: number[]; node: number[] }[] = [
  { what: "subprocess: `true` with no arguments, to exit", locara: [], node: [] },
  { what: "fetch: GET of a 5-byte body from a loopback server", locara: [], node: [] },
];
for (let round = 0; round < ROUNDS; round++) {
  // Alternate who goes first, so drift on a shared machine does not favour one side.
  const pairs: [() => Promise<number>, () => Promise<number>][] = [
    [() => inGuest(`await run("true");`, RUNS), () => inNode(nodeSpawn, RUNS)],
    [
      () => inGuest(`await (await fetch(${JSON.stringify(url)})).text();`, FETCHES),
      () => inNode(async () => (await fetch(url)).text(), FETCHES),
    ],
  ];
  for (const [i, [locara, node]] of pairs.entries()) {
    if (round % 2 === 0) {
      rows[i]!.locara.push(await locara());
      rows[i]!.node.push(await node());
    } else {
      rows[i]!.node.push(await node());
      rows[i]!.locara.push(await locara());
    }
  }
}

const goals = ["≤ 1 ms added", "≤ 200 µs added"];
console.log("| operation | from guest code via Locara | directly from Node | added | ratio | goal |");
console.log("|---|---:|---:|---:|---:|---|");
rows.forEach((row, i) => {
  const l = median(row.locara);
  const n = median(row.node);
  console.log(`| ${row.what} | ${us(l)} | ${us(n)} | ${us(l - n)} | ${(l / n).toFixed(2)}× | ${goals[i]} |`);
});
console.log(
  `\nNode ${process.versions.node}; medians of ${ROUNDS} rounds of ${RUNS} subprocesses and ${FETCHES} fetches each; Node's side uses its global fetch (keep-alive) and spawn with the same options.`,
);
await slot.dispose();
server.close();
