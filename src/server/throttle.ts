/**
 * Wrong passwords slow a client down, per client and per installation: after a few failures each
 * further attempt must wait, doubling up to a cap; a success clears the client's count. Invariant:
 * while a key must wait, its attempts are refused without checking the password at all.
 */
export class PasswordThrottle {
  readonly #failures = new Map<string, { count: number; until: number }>();
  readonly #free: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #now: () => number;

  constructor(options: { free?: number; baseMs?: number; maxMs?: number; now?: () => number } = {}) {
    this.#free = options.free ?? 3;
    this.#baseMs = options.baseMs ?? 1000;
    this.#maxMs = options.maxMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds to wait before another attempt for these keys (0: try now). */
  waitMs(keys: readonly string[]): number {
    const now = this.#now();
    return Math.max(0, ...keys.map((k) => (this.#failures.get(k)?.until ?? 0) - now));
  }

  failed(keys: readonly string[]): void {
    const now = this.#now();
    for (const key of keys) {
      const count = (this.#failures.get(key)?.count ?? 0) + 1;
      const wait =
        count <= this.#free ? 0 : Math.min(this.#maxMs, this.#baseMs * 2 ** (count - this.#free - 1));
      this.#failures.set(key, { count, until: now + wait });
    }
    if (this.#failures.size > 100_000) this.#failures.clear(); // bounded: a flood of keys forgets
  }

  succeeded(key: string): void {
    this.#failures.delete(key);
  }
}
