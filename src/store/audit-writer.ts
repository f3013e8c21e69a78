import type { AuditSink } from "../plugins/context.ts";
import { type AuditRecord, insertAudit } from "./audit-store.ts";
import type { Queryable } from "./database.ts";

export interface AuditWriterOptions {
  /** Events held before callers are made to wait. */
  readonly maxQueue: number;
  /** Events per INSERT. */
  readonly maxBatch: number;
  /** Wait before retrying a batch the database refused. */
  readonly retryMs: number;
  readonly onError?: (error: unknown) => void;
}

export const AUDIT_WRITER_DEFAULTS: AuditWriterOptions = { maxQueue: 50_000, maxBatch: 2_000, retryMs: 500 };

/**
 * Audit events written in batches off the request path (group commit). Invariants: an event
 * handed to `write` is never dropped: when the queue is full the caller waits for room (the host
 * slows down instead of losing records); a batch the database refuses stays at the head of the
 * queue and is retried; `close()` returns only when everything accepted is committed (or the
 * database stayed away past its deadline, which it reports).
 */
export class AuditWriter implements AuditSink {
  readonly #db: Queryable;
  readonly #options: AuditWriterOptions;
  readonly #queue: AuditRecord[] = [];
  #flushing: Promise<void> | undefined;
  #room: (() => void)[] = [];
  #committed = 0;
  #closed = false;

  constructor(db: Queryable, options: Partial<AuditWriterOptions> = {}) {
    this.#db = db;
    this.#options = { ...AUDIT_WRITER_DEFAULTS, ...options };
  }

  /** Events committed so far by this writer. */
  get committed(): number {
    return this.#committed;
  }

  get queued(): number {
    return this.#queue.length;
  }

  write(event: AuditRecord): void | Promise<void> {
    if (this.#closed) throw new Error("the audit writer is closed");
    this.#queue.push(event);
    this.#kick();
    if (this.#queue.length < this.#options.maxQueue) return;
    return new Promise<void>((resolve) => this.#room.push(resolve));
  }

  #kick(): void {
    if (this.#flushing) return;
    this.#flushing = this.#drain().finally(() => {
      this.#flushing = undefined;
      if (this.#queue.length > 0) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    // Let the current burst of writes gather first: one INSERT for many events.
    await new Promise((r) => setImmediate(r));
    while (this.#queue.length > 0) {
      const batch = this.#queue.slice(0, this.#options.maxBatch);
      try {
        await insertAudit(this.#db, batch);
      } catch (error) {
        this.#options.onError?.(error);
        await new Promise((r) => setTimeout(r, this.#options.retryMs));
        continue; // the batch is still at the head of the queue
      }
      this.#queue.splice(0, batch.length);
      this.#committed += batch.length;
      while (this.#room.length > 0 && this.#queue.length < this.#options.maxQueue) this.#room.shift()!();
    }
  }

  /** Wait until every event written so far is committed. */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#flushing) {
      this.#kick();
      await this.#flushing;
    }
  }

  /** Refuse new events and commit the rest; false if the database did not come back in time. */
  async close(deadlineMs = 10_000): Promise<boolean> {
    this.#closed = true;
    const done = this.flush().then(() => true);
    const late = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), deadlineMs).unref());
    return Promise.race([done, late]);
  }
}
