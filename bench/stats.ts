/** Timing helpers: throughput from a tight loop, latency from individually timed calls. */

const now = () => process.hrtime.bigint();

/** The cost of reading the clock twice, to subtract from individually timed calls. */
export function timerOverheadNs(): number {
  const samples: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const t0 = now();
    const t1 = now();
    samples.push(Number(t1 - t0));
  }
  return percentile(samples, 0.5);
}

export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export interface Timing {
  readonly perSecond: number;
  readonly p50Ns: number;
  readonly p99Ns: number;
}

/** `call(i)` decides the i-th request of a stream of `n`; returns whether it was granted. */
export function time(call: (i: number) => boolean, n: number, overheadNs: number): Timing {
  let granted = 0;
  for (let i = 0; i < Math.min(n, 5000); i++) if (call(i)) granted++; // warm-up
  const t0 = now();
  for (let i = 0; i < n; i++) if (call(i)) granted++;
  const seconds = Number(now() - t0) / 1e9;
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = now();
    if (call(i)) granted++;
    samples.push(Math.max(0, Number(now() - a) - overheadNs));
  }
  if (granted < 0) throw new Error("unreachable"); // keeps the calls observable
  return { perSecond: n / seconds, p50Ns: percentile(samples, 0.5), p99Ns: percentile(samples, 0.99) };
}

export function formatNs(ns: number): string {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${Math.round(ns)} ns`;
}

export function formatRate(perSecond: number): string {
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} M/s` : `${(perSecond / 1e3).toFixed(1)} k/s`;
}
