import type { Command } from "commander";
import type { Grant } from "../policy/types.ts";
import type { StoredAuditEvent } from "../store/audit-store.ts";
import type { PendingRequest } from "../store/requests-store.ts";
import { adminCall } from "./admin-client.ts";
import { action, formatPermissions } from "./app-commands.ts";
import type { Io } from "./io.ts";

type Exit = (code: number) => void;

const grantText = (g: Grant) =>
  `${g.effect === "allow" ? "allow" : "deny"} ${g.kind} ${typeof g.scope === "string" ? g.scope : JSON.stringify(g.scope)} ${
    g.term === "until" ? `until ${g.until}` : g.term
  }${g.reason ? ` (${g.reason})` : ""}`;

function formatEvent(e: StoredAuditEvent): string {
  const detail = e.detail === undefined ? "" : ` ${JSON.stringify(e.detail)}`;
  return `${e.time}  ${e.installation}  ${e.decision.padEnd(7)}  ${e.call}  ${e.kind} ${e.resource}  [${e.rule}]${e.error ? `  ${e.error}` : ""}${detail}`;
}

/** `locara perms`, `grant`, `revoke`, `audit`, `requests`: thin clients of the admin API. */
export function registerAccessCommands(root: Command, io: Io, setExit: Exit): void {
  root
    .command("perms")
    .description("permissions of an installation")
    .command("show")
    .description(
      "each declared permission (approved / ask / pending / rejected), live grants and pending requests",
    )
    .argument("<path>", "the mount path")
    .option("--json", "print it as JSON", false)
    .action(
      action(io, setExit, async (_opts, path) => {
        const shown = await adminCall<{
          path: string;
          version: number;
          permissions: Parameters<typeof formatPermissions>[0];
          grants: (Grant & { id: string })[];
          requests: PendingRequest[];
        }>("GET", `/v1/perms?path=${encodeURIComponent(path!)}`);
        const grants = shown.grants.length
          ? shown.grants.map((g) => `  ${g.id}  ${grantText(g)}`).join("\n")
          : "  (none)";
        const requests = shown.requests.length
          ? shown.requests.map((r) => `  ${r.id}  ${r.kind} ${r.resource}: ${r.reason}`).join("\n")
          : "  (none)";
        return {
          json: shown,
          text: `${shown.path} v${shown.version}\n${formatPermissions(shown.permissions)}live grants:\n${grants}\npending requests:\n${requests}\n`,
        };
      }),
    );
  root
    .command("grant")
    .description("grant (or with --deny, refuse) an installation KIND RESOURCE at run time; default --once")
    .argument("<path>", "the mount path")
    .argument("[kind]", "capability kind, e.g. fs.read")
    .argument("[resource]", 'what, in manifest scope syntax; for run the command line, e.g. "du -sh -- /tmp"')
    .option("--once", "for one use")
    .option("--for <duration>", "for a while: 90s, 45m, 12h, 30d, 2w")
    .option("--until <date>", "until a date")
    .option("--always", "until revoked")
    .option("--deny", "refuse instead of allow", false)
    .option("--reason <reason>", "why (recorded)")
    .option("--request <id>", "answer this pending request (see locara requests) instead of KIND RESOURCE")
    .option("--json", "print the result as JSON", false)
    .action(
      action(io, setExit, async (opts, path, kind, resource) => {
        const result = await adminCall<{ grant: Grant & { id: string }; answered: string[] }>(
          "POST",
          "/v1/grant",
          {
            path,
            kind,
            resource,
            request: opts.request,
            once: opts.once,
            for: opts.for,
            until: opts.until,
            always: opts.always,
            deny: opts.deny === true,
            reason: opts.reason,
          },
        );
        const answered = result.answered.length ? ` (answers ${result.answered.join(", ")})` : "";
        return { json: result, text: `${result.grant.id}: ${grantText(result.grant)}${answered}\n` };
      }),
    );
  root
    .command("revoke")
    .description("revoke live grants: KIND RESOURCE as granted, or --all; every host enforces it at once")
    .argument("<path>", "the mount path")
    .argument("[kind]", "capability kind")
    .argument("[resource]", "the resource as it was granted")
    .option("--all", "every live grant of the installation", false)
    .option("--json", "print the result as JSON", false)
    .action(
      action(io, setExit, async (opts, path, kind, resource) => {
        const result = await adminCall<{ revoked: string[] }>("POST", "/v1/revoke", {
          path,
          kind,
          resource,
          all: opts.all === true,
        });
        return {
          json: result,
          text: `revoked ${result.revoked.length} grant${result.revoked.length === 1 ? "" : "s"}: ${result.revoked.join(", ")}\n`,
        };
      }),
    );
  root
    .command("audit")
    .description("the audit log: every decision and admin action, oldest first")
    .option("--app <path>", "one installation")
    .option("--denied", "only denials", false)
    .option("--kind <kind>", "one capability kind (admin for admin actions)")
    .option("--since <when>", "a duration back (1h, 30m, 2d) or a date")
    .option("--limit <n>", "the newest N events", "100")
    .option("--follow", "keep printing new events until interrupted", false)
    .option("--json", "print events as JSON Lines", false)
    .action(
      action(io, setExit, async (opts) => {
        const query = (after?: string) => {
          const q = new URLSearchParams();
          if (opts.app) q.set("app", String(opts.app));
          if (opts.denied) q.set("denied", "true");
          if (opts.kind) q.set("kind", String(opts.kind));
          if (opts.since && !after) q.set("since", String(opts.since));
          if (after) q.set("after", after);
          q.set("limit", after ? "1000" : String(opts.limit));
          return `/v1/audit?${q}`;
        };
        const print = (events: StoredAuditEvent[]) =>
          opts.json ? events.map((e) => JSON.stringify(e)).join("\n") : events.map(formatEvent).join("\n");
        let { events } = await adminCall<{ events: StoredAuditEvent[] }>("GET", query());
        if (!opts.follow)
          return {
            json: undefined,
            text: events.length ? `${print(events)}\n` : opts.json ? "" : "no matching events\n",
          };
        if (events.length) io.out(`${print(events)}\n`);
        let last = events.at(-1)?.id ?? "0";
        let stop = false;
        const interrupt = () => {
          stop = true;
        };
        process.once("SIGINT", interrupt);
        process.once("SIGTERM", interrupt);
        try {
          while (!stop) {
            await new Promise((r) => setTimeout(r, 500));
            ({ events } = await adminCall<{ events: StoredAuditEvent[] }>("GET", query(last)));
            if (events.length) {
              io.out(`${print(events)}\n`);
              last = events.at(-1)!.id;
            }
          }
        } finally {
          process.off("SIGINT", interrupt);
          process.off("SIGTERM", interrupt);
        }
        return { json: undefined, text: "" };
      }),
    );
  root
    .command("grants")
    .description("grants of an installation")
    .command("export")
    .description(
      "print an installation's live grants as JSON (the inspectable form locara run keeps in a file)",
    )
    .argument("<path>", "the mount path")
    .action(
      action(io, setExit, async (_opts, path) => {
        const { grants } = await adminCall<{ grants: unknown[] }>(
          "GET",
          `/v1/perms?path=${encodeURIComponent(path!)}`,
        );
        return { json: grants, text: `${JSON.stringify(grants, null, 2)}\n` };
      }),
    );
  const routes = root.command("routes").description("who may reach an installation's routes");
  routes
    .command("show")
    .description("each route with its access as it applies now (strict ones locked)")
    .argument("<path>", "the mount path")
    .option("--json", "print them as JSON", false)
    .action(
      action(io, setExit, async (_opts, path) => {
        const shown = await adminCall<{
          routes: { path: string; access: string; strict: boolean; changed: boolean; keys: string[] }[];
        }>("GET", `/v1/routes?path=${encodeURIComponent(path!)}`);
        const lines = shown.routes.map(
          (r) =>
            `  ${r.path}  ${r.access}${r.keys.length ? ` (${r.keys.join(", ")})` : ""}${r.strict ? "  strict" : ""}${r.changed ? "  (changed by the owner)" : ""}`,
        );
        return {
          json: shown.routes,
          text: `${lines.join("\n") || "  (no routes)"}\n  anything else: private\n`,
        };
      }),
    );
  routes
    .command("set")
    .description(
      "change a non-strict route's access at run time: public, limited (password) or private (owner)",
    )
    .argument("<path>", "the mount path")
    .argument("<route>", "the route as the manifest declares it, e.g. /admin")
    .argument("<access>", "public, limited or private")
    .option("--json", "print the result as JSON", false)
    .action(
      action(io, setExit, async (_opts, path, route, access) => {
        const set = await adminCall<{ route: string; access: string }>("POST", "/v1/routes", {
          path,
          route,
          access,
        });
        return { json: set, text: `${path} ${set.route}: ${set.access}\n` };
      }),
    );
  const rules = root
    .command("rules")
    .description("server-wide rules: deny lists and net.allowPrivate, for every installation");
  rules
    .command("show")
    .description("print the server rules as JSON")
    .option("--json", "print them as one line of JSON", false)
    .action(
      action(io, setExit, async () => {
        const shown = await adminCall<{ rules: unknown }>("GET", "/v1/rules");
        return { json: shown.rules, text: `${JSON.stringify(shown.rules, null, 2)}\n` };
      }),
    );
  rules
    .command("set")
    .description(
      'replace the server rules with a JSON file: { "deny": { "net": [...] }, "net": { "allowPrivate": [...] } }',
    )
    .argument("<file>", "the rules file (JSON or YAML)")
    .option("--json", "print the result as JSON", false)
    .action(
      action(io, setExit, async (_opts, file) => {
        const { readDataFile } = await import("./io.ts");
        const set = await adminCall<{ rules: unknown }>("POST", "/v1/rules", {
          rules: await readDataFile(file!, "server rules"),
        });
        return { json: set.rules, text: "server rules replaced; every host applies them now\n" };
      }),
    );
  root
    .command("requests")
    .description("pending prompts from running apps; answer with locara grant PATH --request ID (or --deny)")
    .option("--app <path>", "one installation")
    .option("--json", "print them as JSON", false)
    .action(
      action(io, setExit, async (opts) => {
        const { requests } = await adminCall<{ requests: PendingRequest[] }>(
          "GET",
          `/v1/requests${opts.app ? `?app=${encodeURIComponent(String(opts.app))}` : ""}`,
        );
        const text = requests.length
          ? `${requests.map((r) => `${r.id}  ${r.path}  ${r.kind} ${r.resource}\n    ${r.reason}\n    answer: locara grant ${r.path} --request ${r.id} --for 30d   (or --once, --always, --deny)`).join("\n")}\n`
          : "no pending requests\n";
        return { json: requests, text };
      }),
    );
}
