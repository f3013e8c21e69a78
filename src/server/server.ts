import { chmod, readFile, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { InvalidInputError, IoError } from "../errors.ts";
import type { Host } from "../host/host.ts";
import { hashPassword } from "../host/password-hash.ts";
import { createSignInToken, ensureOwner, hostSecret } from "../store/web-store.ts";
import { adminApi } from "./admin-api.ts";
import { appsApp } from "./apps-app.ts";
import { consoleApp } from "./console-app.ts";

/**
 * The owner account: created on the first start, with a password from a file if given; otherwise
 * a one-time sign-in link (valid for a day) is the way in. Returns the link when one was made.
 */
export async function prepareOwner(
  host: Host,
  appsUrl: string,
  passwordFile?: string,
): Promise<string | undefined> {
  const password = passwordFile ? (await readFile(passwordFile, "utf8")).trimEnd() : undefined;
  if (password !== undefined && password.length < 8) {
    throw new InvalidInputError(passwordFile!, "the owner password must be at least 8 characters");
  }
  const created = await ensureOwner(
    host.db.pool,
    "owner",
    password === undefined ? null : await hashPassword(password),
  );
  if (!created || password !== undefined) return undefined;
  const token = await createSignInToken(host.db.pool, "owner", 86_400_000);
  return `${appsUrl}_locara/sign-in?token=${token}`;
}

export interface RunningServer {
  /** The admin API's Unix socket (mode 0600). */
  readonly socket: string;
  /** Where apps are served, e.g. `http://127.0.0.1:8080/`. */
  readonly appsUrl: string;
  /** The console and the owner's sign-in: another port, so that no app shares its origin. */
  readonly consoleUrl: string;
  close(): Promise<void>;
}

/** Whether something answers on a Unix socket (a live host), or it is a leftover file. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}

function listen(
  server: Server,
  target: { port: number; host: string } | string,
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new IoError(
          "host",
          "listen on",
          typeof target === "string" ? target : `${target.host}:${target.port}`,
          error.code ?? "error",
          `the ${what} cannot listen there: pass another --port, or stop what holds it`,
        ),
      ),
    );
    if (typeof target === "string") server.listen(target, () => resolve());
    else server.listen(target.port, target.host, () => resolve());
  });
}

/**
 * Serve a host: the admin API on `socket` (created with mode 0600: whoever can open it is an
 * admin) and the apps on 127.0.0.1:`port`, each request routed to the installation mounted at the
 * longest matching path with the mount prefix stripped. Route access control arrives with the
 * serving issue; until then the listener is loopback only.
 */
export async function startServer(options: {
  host: Host;
  socket: string;
  port: number;
  /** The console's port (0: the kernel picks a free one). */
  consolePort?: number;
  adminToken?: string;
  log?: (line: string) => void;
}): Promise<RunningServer> {
  const { host } = options;
  const log = options.log ?? (() => {});
  if (await stat(options.socket).catch(() => undefined)) {
    if (await socketAnswers(options.socket)) {
      throw new IoError(
        "host",
        "listen on",
        options.socket,
        "EADDRINUSE",
        "another host is running with this LOCARA_HOME: stop it first",
      );
    }
    await rm(options.socket, { force: true }); // left behind by a host that was killed
  }
  const admin = createServer(getRequestListener(adminApi(host).fetch));
  const previous = process.umask(0o177); // the socket is created 0600, never briefly wider
  try {
    await listen(admin, options.socket, "admin API");
  } finally {
    process.umask(previous);
  }
  await chmod(options.socket, 0o600);

  const secret = await hostSecret(host.db.pool, "session-cookie");
  // The console on its own origin (a port of its own), apart from the apps it governs.
  const consoleServer = createServer(
    getRequestListener(
      consoleApp(host, { secret, ...(options.adminToken ? { adminToken: options.adminToken } : {}) }).fetch,
    ),
  );
  try {
    await listen(consoleServer, { port: options.consolePort ?? 0, host: "127.0.0.1" }, "console");
  } catch (error) {
    admin.close();
    await rm(options.socket, { force: true });
    throw error;
  }
  const consoleUrl = `http://127.0.0.1:${(consoleServer.address() as AddressInfo).port}/`;
  const apps = createServer(getRequestListener(appsApp(host, { secret, log, consoleUrl }).fetch));
  try {
    await listen(apps, { port: options.port, host: "127.0.0.1" }, "app listener");
  } catch (error) {
    admin.close();
    consoleServer.close();
    await rm(options.socket, { force: true });
    throw error;
  }
  const { port } = apps.address() as AddressInfo;
  return {
    socket: options.socket,
    appsUrl: `http://127.0.0.1:${port}/`,
    consoleUrl,
    async close() {
      apps.closeIdleConnections();
      admin.closeIdleConnections();
      consoleServer.closeIdleConnections();
      await Promise.all([
        new Promise<void>((r) => apps.close(() => r())),
        new Promise<void>((r) => admin.close(() => r())),
        new Promise<void>((r) => consoleServer.close(() => r())),
      ]);
      await rm(options.socket, { force: true });
    },
  };
}
