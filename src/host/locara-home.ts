import { homedir } from "node:os";
import { join } from "node:path";

/**
 * `$LOCARA_HOME`: grants and audit of `locara run`, and the host's embedded Postgres, admin socket
 * and app copies. Default `~/.locara`; for root `/var/lib/locara`, because Postgres refuses to run
 * as root and its own user must be able to reach the data folder (it cannot enter /root).
 */
export function locaraHome(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.LOCARA_HOME) return env.LOCARA_HOME;
  return process.getuid?.() === 0 ? "/var/lib/locara" : join(homedir(), ".locara");
}
