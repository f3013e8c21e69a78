import type { Context, Hono } from "hono";
import type { AuditReport } from "../audit/audit-report.ts";
import { LocaraError } from "../errors.ts";
import { approveApp, requireInstallation } from "../host/admin-ops.ts";
import {
  type GrantLength,
  grant,
  listApps,
  listRequests,
  parseSince,
  perms,
  revoke,
} from "../host/grant-ops.ts";
import type { Host } from "../host/host.ts";
import { setRouteAccess } from "../host/route-ops.ts";
import { setAppState } from "../host/update-ops.ts";
import type { ApprovalState } from "../policy/types.ts";
import { queryAudit } from "../store/audit-store.ts";
import { findVersion } from "../store/installations.ts";
import { esc, HOST_PAGE_HEADERS, page } from "./pages.ts";
import { htmlPage, type WebSessions } from "./web-session.ts";

const q = (path: string) => encodeURIComponent(path);

function consolePage(title: string, csrf: string, body: string, options: { refresh?: number } = {}): string {
  const header = `<header><nav aria-label="Console"><a href="/_locara/apps">Apps</a> · <a href="/_locara/requests">Requests</a> · <a href="/_locara/audit">Audit log</a>
<form method="post" action="/_locara/sign-out"><input type="hidden" name="csrf" value="${esc(csrf)}"><button type="submit">Sign out</button></form></nav></header>
`;
  return page(title, body, { header, suffix: "Locara console", ...options });
}

/** A one-button form posting to the console (with the session's CSRF token). */
function button(csrf: string, action: string, fields: Record<string, string>, label: string): string {
  const hidden = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join("");
  return `<form method="post" action="${esc(action)}"><input type="hidden" name="csrf" value="${esc(csrf)}">${hidden}<button type="submit">${esc(label)}</button></form>`;
}

/**
 * The console: server-rendered pages for everything the command line does, for the owner only.
 * Every change is a form post carrying the session's CSRF token, done by the same admin
 * operations as the command line (recorded, audited, applied by every host).
 */
export function consoleRoutes(app: Hono, host: Host, web: WebSessions): void {
  /** The owner's session, or a redirect to sign in (every console page and action needs it). */
  const owner = async (c: Context) => {
    const found = await web.session(c);
    return found?.data.owner ? found : undefined;
  };
  const signIn = (c: Context) =>
    c.redirect(`/_locara/sign-in?next=${q(new URL(c.req.url).pathname + new URL(c.req.url).search)}`, 303);
  /** Run a console action; errors come back as a page that says what went wrong and the fix. */
  const act =
    (handler: (form: Record<string, string>, by: string) => Promise<string>) => async (c: Context) => {
      const checked = await web.checkedForm(c);
      if (!checked) return web.refusedForm(c);
      if (!checked.found.data.owner) return signIn(c);
      const form = Object.fromEntries(Object.entries(checked.form).map(([k, v]) => [k, String(v)]));
      try {
        return c.redirect(await handler(form, `console:${checked.found.data.owner}`), 303);
      } catch (error) {
        const message = error instanceof LocaraError ? error.message : `internal error: ${String(error)}`;
        return htmlPage(
          c,
          409,
          consolePage(
            "That did not work",
            checked.found.data.csrf,
            `<p role="alert">${esc(message)}</p><p><a href="/_locara/apps">Back to the apps</a></p>`,
          ),
        );
      }
    };

  app.get("/_locara", (c) => c.redirect("/_locara/apps", 303));
  app.get("/_locara/", (c) => c.redirect("/_locara/apps", 303));

  app.get("/_locara/apps", async (c) => {
    const me = await owner(c);
    if (!me) return signIn(c);
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const apps = await listApps(host);
    const rows = await Promise.all(
      apps.map(async (a) => {
        const denied = (
          await queryAudit(host.db.pool, { installation: a.path, denied: true, since, limit: 10_000 })
        ).length;
        const status =
          a.state === "disabled"
            ? `disabled (${a.disabledReason ?? ""})`
            : a.pending > 0
              ? "needs approval"
              : "running";
        return `<tr><td><a href="/_locara/app?path=${q(a.path)}">${esc(a.path)}</a></td><td>${esc(a.name)} v${a.version}</td><td>${esc(status)}</td><td>${esc(a.lastActivity ?? "—")}</td><td>${denied}</td></tr>`;
      }),
    );
    const body = apps.length
      ? `<table><caption>Installed apps</caption><thead><tr><th scope="col">Path</th><th scope="col">App</th><th scope="col">Status</th><th scope="col">Last activity</th><th scope="col">Denied calls, last hour</th></tr></thead><tbody>${rows.join("")}</tbody></table>`
      : "<p>No apps installed. Install one with <code>locara app create DIR PATH</code>.</p>";
    return c.body(consolePage("Apps", me.data.csrf, body), 200, HOST_PAGE_HEADERS);
  });

  app.get("/_locara/app", async (c) => {
    const me = await owner(c);
    if (!me) return signIn(c);
    const path = c.req.query("path") ?? "";
    const csrf = me.data.csrf;
    try {
      const installation = await requireInstallation(host.db.pool, path);
      const shown = await perms(host, path);
      const version = await findVersion(host.db.pool, installation.id, installation.liveVersion);
      const report = version?.audit as AuditReport | undefined;
      const routes = (await host.runtime(installation.id).load()).routes;
      const pending = shown.permissions.filter((p) => p.state === "pending");
      const permissionRows = shown.permissions
        .map((p) => {
          const used = report?.declared.find((d) => d.key === p.key)?.usedAt ?? [];
          const actions = (["approved", "ask", "rejected"] as ApprovalState[])
            .filter((s) => s !== p.state)
            .map((s) =>
              button(
                csrf,
                "/_locara/app/approve",
                { path, key: p.key, state: s },
                s === "approved" ? "Approve" : s === "ask" ? "Set to ask" : "Reject",
              ),
            )
            .join("");
          return `<tr><td><code>${esc(`${p.kind} ${p.text}`)}</code>${p.pinned ? `<br><small>pinned ${esc(p.pinned)}</small>` : ""}</td><td>${esc(p.reason ?? "(no reason given)")}</td><td>${esc(used.length ? used.join(", ") : "never used by the code")}</td><td>${esc(p.state)}</td><td>${actions}</td></tr>`;
        })
        .join("");
      const undeclared = (report?.uses ?? []).filter((u) => u.verdict === "undeclared");
      const grants = shown.grants.length
        ? `<ul>${shown.grants
            .map(
              (g) =>
                `<li><code>${esc(`${g.effect} ${g.kind} ${typeof g.scope === "string" ? g.scope : JSON.stringify(g.scope)}`)}</code> — ${esc(g.term === "until" ? `until ${g.until}` : g.term)} ${button(csrf, "/_locara/app/revoke", { path, id: g.id }, "Revoke")}</li>`,
            )
            .join("")}</ul>`
        : "<p>No live grants.</p>";
      const routeRows = routes
        .map((r) => {
          const control = r.strict
            ? "locked (strict)"
            : r.access === "keys"
              ? "keys (from the manifest)"
              : `<form method="post" action="/_locara/app/route"><input type="hidden" name="csrf" value="${esc(csrf)}"><input type="hidden" name="path" value="${esc(path)}"><input type="hidden" name="route" value="${esc(r.path)}"><label>Access for ${esc(r.path)} <select name="access">${["public", "limited", "private"].map((a) => `<option${a === r.access ? " selected" : ""}>${a}</option>`).join("")}</select></label> <button type="submit">Save</button></form>`;
          return `<tr><td><code>${esc(r.path)}</code></td><td>${esc(r.access)}</td><td>${control}</td></tr>`;
        })
        .join("");
      const state =
        installation.state === "disabled"
          ? `<p>Disabled: ${esc(installation.disabledReason ?? "")}</p>${button(csrf, "/_locara/app/enable", { path }, "Enable")}`
          : `<form method="post" action="/_locara/app/disable"><input type="hidden" name="csrf" value="${esc(csrf)}"><input type="hidden" name="path" value="${esc(path)}"><p><label for="reason">Reason for disabling</label><br><input id="reason" name="reason" required></p><p><button type="submit">Disable now</button></p></form>`;
      const body = `<p>${esc(installation.name)} v${installation.liveVersion}, from <code>${esc(installation.source)}</code>, bundle <code>${esc((version?.bundleHash ?? "").slice(0, 12))}</code></p>
<h2>Permissions</h2>
${pending.length ? `<p>${pending.length} permission(s) waiting for approval.</p>${button(csrf, "/_locara/app/approve", { path }, "Approve all pending")}` : "<p>Every declared permission has an answer.</p>"}
<table><thead><tr><th scope="col">Permission</th><th scope="col">Reason</th><th scope="col">Used by the code at</th><th scope="col">State</th><th scope="col">Change</th></tr></thead><tbody>${permissionRows}</tbody></table>
${undeclared.length ? `<h3>Code uses nothing declares (these fail at run time)</h3><ul>${undeclared.map((u) => `<li><code>${esc(u.at)}</code>: ${esc(u.why ?? "")}</li>`).join("")}</ul>` : ""}
<h2>Live grants</h2>
${grants}
<h2>Routes</h2>
<table><thead><tr><th scope="col">Route</th><th scope="col">Access</th><th scope="col">Change</th></tr></thead><tbody>${routeRows || '<tr><td colspan="3">No routes: everything is private.</td></tr>'}</tbody></table>
<h2>State</h2>
${state}`;
      return c.body(consolePage(path, csrf, body), 200, HOST_PAGE_HEADERS);
    } catch (error) {
      const message = error instanceof LocaraError ? error.message : String(error);
      return c.body(
        consolePage("Not found", csrf, `<p role="alert">${esc(message)}</p>`),
        404,
        HOST_PAGE_HEADERS,
      );
    }
  });

  const back = (path: string) => `/_locara/app?path=${q(path)}`;
  app.post(
    "/_locara/app/approve",
    act(async (f, by) => {
      await approveApp(host, {
        path: f.path!,
        dryRun: false,
        by,
        state: (f.state as ApprovalState) || "approved",
        ...(f.key ? { keys: [f.key] } : {}),
      });
      return back(f.path!);
    }),
  );
  app.post(
    "/_locara/app/revoke",
    act(async (f, by) => {
      await revoke(host, { path: f.path!, id: f.id!, all: false, by });
      return back(f.path!);
    }),
  );
  app.post(
    "/_locara/app/route",
    act(async (f, by) => {
      await setRouteAccess(host, { path: f.path!, route: f.route!, access: f.access!, by });
      return back(f.path!);
    }),
  );
  app.post(
    "/_locara/app/disable",
    act(async (f, by) => {
      await setAppState(host, { path: f.path!, disabled: true, reason: f.reason ?? "", by });
      return back(f.path!);
    }),
  );
  app.post(
    "/_locara/app/enable",
    act(async (f, by) => {
      await setAppState(host, { path: f.path!, disabled: false, by });
      return back(f.path!);
    }),
  );

  const ANSWERS: Record<string, { label: string; length: GrantLength; deny: boolean }> = {
    deny: { label: "Deny", length: { once: true }, deny: true },
    once: { label: "Allow once", length: { once: true }, deny: false },
    "30d": { label: "Allow for 30 days", length: { forMs: 30 * 86_400_000 }, deny: false },
    always: { label: "Allow always", length: { always: true }, deny: false },
    never: { label: "Deny always", length: { always: true }, deny: true },
  };
  app.get("/_locara/requests", async (c) => {
    const me = await owner(c);
    if (!me) return signIn(c);
    const requests = await listRequests(host);
    const body = requests.length
      ? `<ul>${requests
          .map(
            (r) =>
              `<li><p><strong>${esc(r.path)}</strong>: ${esc(r.reason)} <small>(${esc(r.createdAt)})</small></p>${Object.entries(
                ANSWERS,
              )
                .map(([answer, a]) =>
                  button(
                    me.data.csrf,
                    "/_locara/requests/answer",
                    { path: r.path, request: r.id, answer },
                    a.label,
                  ),
                )
                .join("")}</li>`,
          )
          .join("")}</ul>`
      : "<p>No pending requests.</p>";
    return c.body(consolePage("Requests", me.data.csrf, body), 200, HOST_PAGE_HEADERS);
  });
  app.post(
    "/_locara/requests/answer",
    act(async (f, by) => {
      const answer = ANSWERS[f.answer ?? ""] ?? ANSWERS.deny!;
      await grant(host, { path: f.path!, request: f.request!, length: answer.length, deny: answer.deny, by });
      return "/_locara/requests";
    }),
  );

  const auditQuery = (c: Context) => {
    const app = c.req.query("app") || undefined;
    const kind = c.req.query("kind") || undefined;
    const since = c.req.query("since") || undefined;
    return {
      ...(app ? { installation: app } : {}),
      ...(kind ? { kind } : {}),
      ...(c.req.query("decision") === "denied" ? { denied: true } : {}),
      ...(since ? { since: parseSince(since) } : {}),
      limit: 500,
    };
  };
  app.get("/_locara/audit", async (c) => {
    const me = await owner(c);
    if (!me) return signIn(c);
    const query = auditQuery(c);
    const events = (await queryAudit(host.db.pool, query)).reverse();
    const params = new URL(c.req.url).searchParams;
    const field = (name: string, label: string) =>
      `<label>${label} <input name="${name}" value="${esc(params.get(name) ?? "")}"></label> `;
    const filters = `<form method="get" action="/_locara/audit">${field("app", "App")}${field("kind", "Kind")}${field("since", "Since (1h, 2d, a date)")}<label>Decision <select name="decision"><option value="">any</option><option${params.get("decision") === "denied" ? " selected" : ""}>denied</option></select></label> <label><input type="checkbox" name="follow" value="1"${params.get("follow") ? " checked" : ""}> live</label> <button type="submit">Filter</button></form>
<p><a href="/_locara/audit.jsonl?${esc(params.toString())}">Export as JSON Lines</a></p>`;
    const rows = events
      .map(
        (e) =>
          `<tr><td>${esc(e.time)}</td><td>${esc(e.installation)}</td><td>${esc(e.decision)}</td><td><code>${esc(e.call)}</code></td><td><code>${esc(`${e.kind} ${e.resource}`)}</code></td><td>${esc(e.rule)}${e.error ? ` — ${esc(e.error)}` : ""}</td></tr>`,
      )
      .join("");
    const body = `${filters}<table><caption>Newest first (at most 500)</caption><thead><tr><th scope="col">Time</th><th scope="col">App</th><th scope="col">Decision</th><th scope="col">Call</th><th scope="col">What</th><th scope="col">Rule</th></tr></thead><tbody>${rows}</tbody></table>`;
    return c.body(
      consolePage("Audit log", me.data.csrf, body, params.get("follow") ? { refresh: 3 } : {}),
      200,
      HOST_PAGE_HEADERS,
    );
  });
  app.get("/_locara/audit.jsonl", async (c) => {
    if (!(await owner(c))) return signIn(c);
    const events = await queryAudit(host.db.pool, { ...auditQuery(c), limit: 10_000 });
    return c.body(events.map((e) => JSON.stringify(e)).join("\n") + (events.length ? "\n" : ""), 200, {
      "content-type": "application/x-ndjson; charset=utf-8",
      "content-disposition": 'attachment; filename="locara-audit.jsonl"',
      "cache-control": "no-store",
    });
  });
}
