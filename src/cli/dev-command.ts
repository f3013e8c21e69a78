import { watch } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type Command, Option } from "commander";
import { InvalidInputError } from "../errors.ts";
import { locaraHome } from "../host/locara-home.ts";
import { canPrompt, terminalPrompter } from "../host/prompt.ts";
import { EXIT, type Io, reportError } from "./io.ts";
import { interrupted } from "./signals.ts";

/**
 * `locara dev DIR`: a host in the foreground with the app from DIR at `/`. Its own home
 * (`$LOCARA_HOME/dev`), so it never touches a running server's apps. Declared permissions are
 * `ask` (asked here, at the terminal, answers kept as grants) unless `--approve all`; a change in
 * DIR is installed as an update, under the same rules as `locara app update`.
 */
export function registerDevCommand(root: Command, io: Io, setExit: (code: number) => void): void {
  root
    .command("dev")
    .description("develop an app: a host in the foreground with DIR at /, reloaded when its files change")
    .argument("<dir>", "the app folder")
    .option("--port <port>", "the loopback port to serve on (0 picks a free one)", "8000")
    .addOption(
      new Option("--approve <mode>", "declared permissions: ask at the terminal, or all approved")
        .choices(["ask", "all"])
        .default("ask"),
    )
    .addOption(
      new Option("--database <url>", "an external Postgres instead of the embedded one").env(
        "LOCARA_DATABASE_URL",
      ),
    )
    .action(async (dirArg: string, opts: Record<string, unknown>) => {
      try {
        const dir = resolve(dirArg);
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new InvalidInputError(String(opts.port), "the port must be a number from 0 to 65535");
        }
        const home = join(locaraHome(), "dev");
        await mkdir(home, { recursive: true, mode: 0o700 });
        const { Host } = await import("../host/host.ts");
        const { startServer } = await import("../server/server.ts");
        const ops = { ...(await import("../host/admin-ops.ts")), ...(await import("../host/update-ops.ts")) };
        const { findInstallation } = await import("../store/installations.ts");
        const prompter = canPrompt() ? terminalPrompter() : undefined;
        const host = await Host.start({
          home,
          ...(typeof opts.database === "string" ? { databaseUrl: opts.database } : {}),
          log: (line) => {
            if (!line.startsWith("[postgres]")) io.err(`${line.trimEnd()}\n`);
          },
          output: { write: (stream, text) => (stream === "stdout" ? io.out(text) : io.err(text)) },
          ...(prompter ? { prompter } : {}),
        });
        let server: Awaited<ReturnType<typeof startServer>> | undefined;
        let watcher: ReturnType<typeof watch> | undefined;
        try {
          const state = opts.approve === "all" ? "approved" : "ask";
          const answerNew = async () => {
            const result = await ops.approveApp(host, { path: "/", dryRun: false, by: "locara dev", state });
            if (result.changed.length) io.err(`${result.changed.length} permission(s) set to ${state}\n`);
          };
          const existing = await findInstallation(host.db.pool, "/");
          const first = existing
            ? await ops.updateApp(host, { path: "/", dir, approve: false, by: "locara dev" })
            : await ops.installApp(host, { dir, path: "/", approve: false, by: "locara dev" });
          io.err(first.text);
          await answerNew();
          server = await startServer({ host, socket: join(home, "admin.sock"), port });
          const { prepareOwner } = await import("../server/server.ts");
          const link = await prepareOwner(host, server.consoleUrl);
          if (link) io.err(`sign in as the owner (for private routes; once, within a day): ${link}\n`);
          io.err(
            `serving ${dir} at ${server.appsUrl} (Ctrl-C to stop); console: ${server.consoleUrl}_locara/; admin: LOCARA_HOME=${locaraHome()}/dev locara …\n${
              prompter
                ? ""
                : "no terminal: permissions set to ask become pending requests (locara requests)\n"
            }`,
          );
          // Reload on changes: debounced, one update at a time, node_modules and dotfiles ignored.
          let timer: ReturnType<typeof setTimeout> | undefined;
          let updating = Promise.resolve();
          watcher = watch(dir, { recursive: true }, (_event, file) => {
            const name = String(file ?? "");
            if (name.startsWith("node_modules") || name.split("/").some((p) => p.startsWith("."))) return;
            clearTimeout(timer);
            timer = setTimeout(() => {
              updating = updating.then(async () => {
                try {
                  const result = await ops.updateApp(host, {
                    path: "/",
                    dir,
                    approve: false,
                    by: "locara dev",
                  });
                  io.err(`reloaded: ${result.text.trimEnd().split("\n").at(-1)}\n`);
                  await answerNew();
                } catch (error) {
                  reportError(io, error, false); // a broken edit keeps the last good version live
                }
              });
            }, 300);
          });
          await interrupted();
          clearTimeout(timer);
          await updating;
        } finally {
          watcher?.close();
          prompter?.close();
          await server?.close();
          await host.close();
        }
        setExit(EXIT.ok);
      } catch (error) {
        setExit(reportError(io, error, false));
      }
    });
}
