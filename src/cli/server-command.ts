import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Command, Option } from "commander";
import { InvalidInputError } from "../errors.ts";
import type { Host } from "../host/host.ts";
import { locaraHome } from "../host/locara-home.ts";
import { EXIT, type Io, reportError } from "./io.ts";
import { interrupted } from "./signals.ts";

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));
/** Where each bundled example is mounted by `--examples`. */
const EXAMPLE_MOUNTS: Readonly<Record<string, string>> = { disk_usage: "/utils/disk_usage" };

/** Install the examples that are not installed yet, waiting for approval. */
async function installExamples(host: Host, io: Io): Promise<void> {
  const { installApp } = await import("../host/admin-ops.ts");
  const { findInstallation } = await import("../store/installations.ts");
  for (const name of (await readdir(EXAMPLES, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)) {
    const path = EXAMPLE_MOUNTS[name] ?? `/${name}`;
    if (await findInstallation(host.db.pool, path)) continue;
    const result = await installApp(host, {
      dir: join(EXAMPLES, name),
      path,
      approve: false,
      by: "locara server --examples",
    });
    io.err(
      `installed example ${name} at ${path}: ${result.pending.length === 0 ? "approved" : `${result.pending.length} permissions need approval`}\n`,
    );
  }
}

/** `locara server`: run a host in the foreground until interrupted. */
export function registerServerCommand(root: Command, io: Io, setExit: (code: number) => void): void {
  root
    .command("server")
    .description("run the Locara host: the store, the sandboxes, the apps on 127.0.0.1 and the admin socket")
    .option("--port <port>", "the loopback port apps are served on (0 picks a free one)", "8080")
    .option(
      "--console-port <port>",
      "the loopback port of the console and the owner's sign-in (0 picks a free one)",
      "8081",
    )
    .addOption(
      new Option("--database <url>", "an external Postgres instead of the embedded one").env(
        "LOCARA_DATABASE_URL",
      ),
    )
    .addOption(
      new Option(
        "--admin-token <token>",
        "also serve the admin API at /_locara/api with this bearer token",
      ).env("LOCARA_ADMIN_TOKEN"),
    )
    .option(
      "--examples",
      "install the bundled examples (waiting for approval) if they are not installed",
      false,
    )
    .option("--verbose", "print the store's own log lines", false)
    .action(async (opts: Record<string, unknown>) => {
      try {
        const port = Number(opts.port);
        const consolePort = Number(opts.consolePort);
        for (const [given, value] of [
          [opts.port, port],
          [opts.consolePort, consolePort],
        ] as const) {
          if (!Number.isInteger(value) || value < 0 || value > 65535) {
            throw new InvalidInputError(String(given), "a port is a number from 0 to 65535");
          }
        }
        const home = locaraHome();
        await mkdir(home, { recursive: true, mode: 0o700 });
        const log = (line: string) => {
          if (opts.verbose || !line.startsWith("[postgres]")) io.err(`${line.trimEnd()}\n`);
        };
        io.err(`starting the Locara host in ${home}…\n`);
        const { Host } = await import("../host/host.ts");
        const { startServer } = await import("../server/server.ts");
        const host = await Host.start({
          home,
          ...(typeof opts.database === "string" ? { databaseUrl: opts.database } : {}),
          log,
          output: { write: (stream, text) => (stream === "stdout" ? io.out(text) : io.err(text)) },
        });
        let server: Awaited<ReturnType<typeof startServer>> | undefined;
        try {
          if (opts.examples) await installExamples(host, io);
          server = await startServer({
            host,
            socket: join(home, "admin.sock"),
            port,
            consolePort,
            log,
            ...(typeof opts.adminToken === "string" ? { adminToken: opts.adminToken } : {}),
          });
          const { prepareOwner } = await import("../server/server.ts");
          const link = await prepareOwner(
            host,
            server.consoleUrl,
            typeof opts.ownerPasswordFile === "string" ? opts.ownerPasswordFile : undefined,
          );
          io.err(
            [
              "Locara host running (Ctrl-C to stop)",
              ...(link ? [`  sign in as the owner (once, within a day): ${link}`] : []),
              `  apps:         ${server.appsUrl}`,
              `  console:      ${server.consoleUrl}_locara/`,
              `  admin socket: ${server.socket}`,
              `  store:        ${host.db.embedded ? `embedded Postgres in ${join(home, "pg")}` : host.db.where}`,
              "next: locara app list, then locara app show PATH and locara app approve PATH",
              "",
            ].join("\n"),
          );
          await interrupted();
          io.err("stopping…\n");
        } finally {
          await server?.close();
          await host.close();
        }
        setExit(EXIT.ok);
      } catch (error) {
        setExit(reportError(io, error, false));
      }
    });
}
