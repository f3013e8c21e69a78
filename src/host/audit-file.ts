import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { AuditEvent, AuditSink } from "../plugins/context.ts";

/**
 * Audit events as JSON Lines, one record per line with a schema version (`v`), appended as they
 * happen so that nothing is lost if the run ends abruptly. The store issue replaces this file.
 */
export function auditFile(path: string): AuditSink {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  return {
    write(event: AuditEvent) {
      appendFileSync(path, `${JSON.stringify(event)}\n`, { mode: 0o600 });
    },
  };
}
