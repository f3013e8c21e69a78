// npm run bench:policy — the permission engine against Cedar and casbin on the same workload.
// Timings are for comparison within one run on one machine; they are not tests.
import { cpus } from "node:os";
import { casbinDecide, casbinRequest, compileCasbin } from "./engine-casbin.ts";
import { cedarDecide, cedarRequest, compileCedar } from "./engine-cedar.ts";
import { compileLocara, locaraDecide, locaraRequest } from "./engine-locara.ts";
import { formatNs, formatRate, type Timing, time, timerOverheadNs } from "./stats.ts";
import { installation, prng, type Request, requestsFor } from "./workload.ts";

const SIZES = [10, 1_000, 10_000];
const STREAM = { locara: 200_000, cedar: 20_000, casbin: 20_000 };
/**
 * Decisions per visit to an installation. One app request makes several host calls (read a file,
 * fetch, read an env var), so consecutive decisions mostly concern one installation: BURST. A
 * stream where every decision picks a random installation (burst 1) is reported as the worst
 * case: at 10,000 installations it mostly measures the machine's memory latency, which the
 * "floor" row (one Map lookup per decision in a per-installation Map) shows on its own.
 */
const BURST = 8;
/** Peers are built for at most this many installations per size (casbin and Cedar build slowly). */
const PEER_INSTALLATIONS = 2_000;
const CHECKED = 20_000;

interface Row {
  size: number;
  engine: string;
  pattern: string;
  timing: Timing;
  agree: string;
}

const overhead = timerOverheadNs();
const rows: Row[] = [];
let disagreements = 0;
const started = Date.now();

for (const size of SIZES) {
  const rand = prng(42 + size);
  const specs = Array.from({ length: size }, (_, i) => installation(i, rand));
  const requests = specs.map(requestsFor);
  const locara = specs.map(compileLocara);
  const peers = Math.min(size, PEER_INSTALLATIONS);
  const cedar = specs.slice(0, peers).map(compileCedar);
  const casbin = await Promise.all(specs.slice(0, peers).map(compileCasbin));

  // Streams of visits: a random installation, then `burst` of its requests. Each engine gets its
  // inputs prepared before timing.
  const stream = (n: number, over: number, burst: number) => {
    const out: (readonly [number, Request])[] = [];
    while (out.length < n) {
      const inst = Math.floor(rand() * over);
      const list = requests[inst]!;
      for (let b = 0; b < burst && out.length < n; b++)
        out.push([inst, list[Math.floor(rand() * list.length)]!] as const);
    }
    return out;
  };
  const ls = stream(STREAM.locara, size, BURST).map(([i, r]) => [locara[i]!, locaraRequest(r)] as const);
  const lr = stream(STREAM.locara, size, 1).map(([i, r]) => [locara[i]!, locaraRequest(r)] as const);
  const cs = stream(STREAM.cedar, peers, BURST).map(([i, r]) => cedarRequest(cedar[i]!, r));
  const ks = stream(STREAM.casbin, peers, BURST).map(([i, r]) => [casbin[i]!, casbinRequest(r)] as const);
  const key = (r: Request) => JSON.stringify(r);
  const floorMaps = requests.map((list) => new Map(list.map((r, k) => [key(r), k])));
  const fr = stream(STREAM.locara, size, 1).map(([i, r]) => [floorMaps[i]!, key(r)] as const);

  // Same decisions from all three on a shared sample.
  const check = stream(CHECKED, peers, 1);
  let cedarAgree = 0;
  let casbinAgree = 0;
  let granted = 0;
  for (const [i, r] of check) {
    const l = locaraDecide(locara[i]!, locaraRequest(r));
    if (l) granted++;
    if (cedarDecide(cedarRequest(cedar[i]!, r)) === l) cedarAgree++;
    else report("Cedar", specs[i]!.id, r, l);
    if (casbinDecide(casbin[i]!, casbinRequest(r)) === l) casbinAgree++;
    else report("casbin", specs[i]!.id, r, l);
  }

  const grantedShare = `${Math.round((100 * granted) / CHECKED)}% granted`;
  const burst = `bursts of ${BURST}`;
  const add = (engine: string, pattern: string, timing: Timing, agree: string) =>
    rows.push({ size, engine, pattern, timing, agree });
  add(
    "Locara",
    burst,
    time((k) => locaraDecide(ls[k]![0], ls[k]![1]), ls.length, overhead),
    `reference (${grantedShare})`,
  );
  add(
    "Cedar (cedar-wasm, preparsed)",
    burst,
    time((k) => cedarDecide(cs[k]!), cs.length, overhead),
    `${cedarAgree}/${CHECKED}`,
  );
  add(
    "casbin (enforceSync)",
    burst,
    time((k) => casbinDecide(ks[k]![0], ks[k]![1]), ks.length, overhead),
    `${casbinAgree}/${CHECKED}`,
  );
  add(
    "Locara",
    "random installation",
    time((k) => locaraDecide(lr[k]![0], lr[k]![1]), lr.length, overhead),
    "",
  );
  add(
    "floor: one Map.get",
    "random installation",
    time((k) => fr[k]![0].has(fr[k]![1]), fr.length, overhead),
    "",
  );
  console.error(`size ${size}: done (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

function report(engine: string, id: string, r: Request, locara: boolean): void {
  disagreements++;
  if (disagreements <= 10)
    console.error(
      `${engine} disagrees on ${id} ${JSON.stringify(r)}: Locara says ${locara ? "granted" : "denied"}`,
    );
}

const cedarAt = (size: number) =>
  rows.find((r) => r.size === size && r.engine.startsWith("Cedar"))!.timing.perSecond;
const lines = [
  "| installations | engine | stream | decisions/s | p50 | p99 | × Cedar's decisions/s | same decisions as Locara |",
  "|---:|---|---|---:|---:|---:|---:|---|",
  ...rows.map(
    (r) =>
      `| ${r.size.toLocaleString("en")} | ${r.engine} | ${r.pattern} | ${formatRate(r.timing.perSecond)} | ${formatNs(r.timing.p50Ns)} | ${formatNs(r.timing.p99Ns)} | ${(r.timing.perSecond / cedarAt(r.size)).toFixed(1)} | ${r.agree} |`,
  ),
];
const locaraAt = (size: number) =>
  rows.find((r) => r.size === size && r.engine === "Locara" && r.pattern.startsWith("bursts"))!.timing;
const small = locaraAt(SIZES[0]!);
const large = locaraAt(SIZES.at(-1)!);
console.log(lines.join("\n"));
console.log();
console.log(
  `Locara growth from ${SIZES[0]} to ${SIZES.at(-1)!.toLocaleString("en")} installations: p50 ×${(large.p50Ns / Math.max(1, small.p50Ns)).toFixed(2)}, ` +
    `decisions/s ×${(small.perSecond / large.perSecond).toFixed(2)} slower. ` +
    `Node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}; timer overhead ${overhead} ns subtracted from p50/p99.`,
);
if (disagreements > 0) {
  console.error(`${disagreements} decisions differ between engines`);
  process.exitCode = 1;
}
