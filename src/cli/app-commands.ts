import { resolve } from "node:path";
import { type Command, Option } from "commander";
import type { AuditReport } from "../audit/audit-report.ts";
import { adminCall } from "./admin-client.ts";
import { EXIT, type Io, reportError } from "./io.ts";

type Exit = (code: number) => void;

interface AppRow {
  path: string;
  name: string;
  version: number;
  state: string;
  disabledReason?: string;
  pending: number;
  lastActivity: string | null;
}

interface PermissionRow {
  key: string;
  kind: string;
  text: string;
  reason?: string;
  state: string;
  pinned?: string;
}

/** Run an admin command: print its JSON with --json, else its text; errors end with the fix. */
export function action(
  io: Io,
  setExit: Exit,
  work: (
    opts: Record<string, unknown>,
    ...args: (string | undefined)[]
  ) => Promise<{ json: unknown; text: string; code?: number }>,
) {
  return async (...raw: unknown[]) => {
    const command = raw.at(-1) as Command;
    const opts = command.opts() as Record<string, unknown>;
    const args = raw.slice(0, -2).map((a) => (typeof a === "string" ? a : undefined));
    const json = opts.json === true;
    try {
      const result = await work(opts, ...args);
      // A command whose JSON is not one value (JSON Lines) gives it as its text.
      io.out(json && result.json !== undefined ? `${JSON.stringify(result.json)}\n` : result.text);
      setExit(result.code ?? EXIT.ok);
    } catch (error) {
      setExit(reportError(io, error, json));
    }
  };
}

export function formatPermissions(permissions: readonly PermissionRow[]): string {
  if (permissions.length === 0) return "  (declares nothing)\n";
  const width = Math.max(...permissions.map((p) => p.state.length));
  return `${permissions
    .map(
      (p) =>
        `  ${p.state.padEnd(width)}  ${p.kind} ${p.text}${p.pinned ? `  (pinned ${p.pinned})` : ""}${p.reason ? `\n  ${" ".repeat(width)}  reason: ${p.reason}` : ""}`,
    )
    .join("\n")}\n`;
}

/** `locara app …`: thin clients of the host's admin API. */
export function registerAppCommands(root: Command, io: Io, setExit: Exit): void {
  const app = root.command("app").description("install, approve, update and govern apps on the running host");
  app
    .command("create")
    .description(
      'install an app folder at a mount path: prints the audit report, then "N permissions need approval" or "approved"',
    )
    .argument("<dir>", "the app folder (with locara.yaml)")
    .argument("<path>", "the mount path, e.g. /utils/disk_usage")
    .option("--approve", "approve everything it declares now", false)
    .option("--json", "print the result as JSON", false)
    .action(
      action(io, setExit, async (opts, dir, path) => {
        const result = await adminCall<{ text: string; pending: string[] }>("POST", "/v1/apps", {
          dir: resolve(dir!),
          path,
          approve: opts.approve === true,
        });
        return { json: result, text: result.text };
      }),
    );
  app
    .command("approve")
    .description("approve what an installation declares and is still pending (shows the diff first)")
    .argument("<path>", "the mount path")
    .option("--dry-run", "show what would be approved, change nothing", false)
    .option(
      "--only <key...>",
      'only these permissions, by key as perms show lists them (e.g. "fs.read /tmp")',
    )
    .addOption(
      new Option("--state <state>", "the answer: approved, ask (prompt at run time) or rejected")
        .choices(["approved", "ask", "rejected"])
        .default("approved"),
    )
    .option("--json", "print the result as JSON", false)
    .action(
      action(io, setExit, async (opts, path) => {
        const result = await adminCall<{ text: string }>("POST", "/v1/app/approve", {
          path,
          dryRun: opts.dryRun === true,
          state: opts.state,
          ...(Array.isArray(opts.only) ? { keys: opts.only } : {}),
        });
        return { json: result, text: result.text };
      }),
    );
  app
    .command("list")
    .description("every installation: version, state, permissions pending, last activity")
    .option("--json", "print the list as JSON", false)
    .action(
      action(io, setExit, async () => {
        const { apps } = await adminCall<{ apps: AppRow[] }>("GET", "/v1/apps");
        const rows = apps.map((a) => [
          a.path,
          `v${a.version}`,
          a.state === "disabled"
            ? `disabled (${a.disabledReason ?? ""})`
            : a.pending > 0
              ? "needs approval"
              : "running",
          String(a.pending),
          a.lastActivity ?? "-",
        ]);
        const header = ["PATH", "VERSION", "STATE", "PENDING", "LAST ACTIVITY"];
        const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
        const line = (r: string[]) =>
          r
            .map((c, i) => c.padEnd(widths[i]!))
            .join("  ")
            .trimEnd();
        const text =
          apps.length === 0
            ? "no apps installed: locara app create DIR PATH\n"
            : `${[header, ...rows].map(line).join("\n")}\n`;
        return { json: { apps }, text };
      }),
    );
  app
    .command("show")
    .description("an installation: its audit report and the state of each permission")
    .argument("<path>", "the mount path")
    .option("--json", "print it as JSON", false)
    .action(
      action(io, setExit, async (_opts, path) => {
        const shown = await adminCall<{
          installation: {
            path: string;
            state: string;
            liveVersion: number;
            disabledReason: string | null;
            source: string;
          };
          audit: AuditReport;
          permissions: PermissionRow[];
        }>("GET", `/v1/app?path=${encodeURIComponent(path!)}`);
        const { formatAuditReport } = await import("../audit/audit-report.ts");
        const i = shown.installation;
        const states = new Map(shown.permissions.map((p) => [p.key, p.state]));
        const text = `${i.path}  v${i.liveVersion}  ${i.state}${i.disabledReason ? ` (${i.disabledReason})` : ""}  from ${i.source}\n\n${formatAuditReport(shown.audit, states)}`;
        return { json: shown, text };
      }),
    );
  app
    .command("update")
    .description("install a new version from the folder (or DIR); live at once if it needs nothing new")
    .argument("<path>", "the mount path")
    .argument("[dir]", "the app folder (default: the folder it was installed from)")
    .option("--approve", "approve what the new version adds", false)
    .option("--json", "print the result as JSON", false)
    .action(
      action(io, setExit, async (opts, path, dir) => {
        const result = await adminCall<{ text: string }>("POST", "/v1/app/update", {
          path,
          approve: opts.approve === true,
          ...(dir ? { dir: resolve(dir) } : {}),
        });
        return { json: result, text: result.text };
      }),
    );
  app
    .command("password")
    .description(
      "set the password of an installation's limited routes, read from a file (- for standard input); empty clears it",
    )
    .argument("<path>", "the mount path")
    .requiredOption("--password-file <file>", "where to read it from (never on the command line)")
    .option("--json", "print the result as JSON", false)
    .action(
      action(io, setExit, async (opts, path) => {
        const { readFile } = await import("node:fs/promises");
        const file = String(opts.passwordFile);
        const password = (await readFile(file === "-" ? "/dev/stdin" : file, "utf8")).replace(/\r?\n$/, "");
        const result = await adminCall<{ password: string }>("POST", "/v1/app/password", { path, password });
        return { json: result, text: `${path}: password ${result.password}\n` };
      }),
    );
  app
    .command("delete")
    .description("remove an installation, its approvals, grants and data")
    .argument("<path>", "the mount path")
    .option("--json", "print the result as JSON", false)
    .action(
      action(io, setExit, async (_opts, path) => {
        const result = await adminCall<{ path: string }>("POST", "/v1/app/delete", { path });
        return { json: result, text: `deleted ${result.path}\n` };
      }),
    );
  app
    .command("disable")
    .description("emergency stop: refuse new requests, end running ones, record an incident")
    .argument("<path>", "the mount path")
    .requiredOption("--reason <reason>", "why (recorded in the audit log)")
    .option("--json", "print the result as JSON", false)
    .action(
      action(io, setExit, async (opts, path) => {
        const result = await adminCall<{ path: string }>("POST", "/v1/app/disable", {
          path,
          reason: opts.reason,
        });
        return { json: result, text: `disabled ${result.path}: ${String(opts.reason)}\n` };
      }),
    );
  app
    .command("enable")
    .description("serve a disabled installation again")
    .argument("<path>", "the mount path")
    .option("--json", "print the result as JSON", false)
    .action(
      action(io, setExit, async (_opts, path) => {
        const result = await adminCall<{ path: string }>("POST", "/v1/app/enable", { path });
        return { json: result, text: `enabled ${result.path}\n` };
      }),
    );
}
