import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { Hono } from "hono";
import { DisabledError, LocaraError } from "../errors.ts";
import type { Host } from "../host/host.ts";
import { REQUEST_BODY_LIMIT, readBody } from "../host/http-bridge.ts";
import { versionDir } from "../host/installer.ts";
import { verifyPassword } from "../host/password-hash.ts";
import { canonicalRequestPath } from "../host/request-path.ts";
import { accessFor, covers, routeFor, type Viewer } from "../host/route-access.ts";
import { readStatic } from "../host/static-files.ts";
import type { GuestRequest } from "../sandbox/fetch-handler.ts";
import { installationPassword, unlockInSession } from "../store/web-store.ts";
import { esc, page, unlockPage } from "./pages.ts";
import { PasswordThrottle } from "./throttle.ts";
import {
  htmlPage,
  SESSION_COOKIE,
  safeNext,
  styleSheet,
  tooManyAttempts,
  webSessions,
} from "./web-session.ts";

export { SESSION_COOKIE };

/**
 * The session cookie never reaches an app, and an app can never set it. Invariant: every app on
 * this host shares its origin, so an app that saw or set this cookie could act as the owner.
 */
function withoutSessionCookie(cookie: string): string {
  return cookie
    .split(";")
    .map((c) => c.trim())
    .filter((c) => c !== "" && !c.startsWith(`${SESSION_COOKIE}=`))
    .join("; ");
}

/**
 * Apps served at their mount paths, behind route access: each request is routed to the
 * installation mounted at the longest matching path, its route decided by the longest matching
 * route of its manifest (owner changes applied; unlisted = private), and only then handed to the
 * app with the mount prefix stripped. Host pages under /_locara/ sign the owner in and unlock
 * limited routes; every form carries the session's CSRF token.
 */
export function appsApp(
  host: Host,
  options: { secret: string; log?: (line: string) => void; throttle?: PasswordThrottle; consoleUrl?: string },
): Hono {
  const app = new Hono();
  const throttle = options.throttle ?? new PasswordThrottle();
  const log = options.log ?? (() => {});

  const { session, ensureSession, client, checkedForm, refusedForm } = webSessions(
    host,
    options.secret,
    "apps",
  );

  app.get("/_locara/locara.css", styleSheet);

  app.post("/_locara/unlock", async (c) => {
    const checked = await checkedForm(c);
    if (!checked) return refusedForm(c);
    const { form, found } = checked;
    const mount = String(form.mount ?? "");
    const next = safeNext(form.next);
    const route = await host.route(mount);
    if (!route || route.mount !== mount)
      return htmlPage(c, 404, page("Not found", "<p>No app is installed there.</p>"));
    const keys = [`client:${client(c)}`, `installation:${route.runtime.id}`];
    const wait = throttle.waitMs(keys);
    if (wait > 0) return tooManyAttempts(c, wait);
    if (
      !(await verifyPassword(
        String(form.password ?? ""),
        await installationPassword(host.db.pool, route.runtime.id),
      ))
    ) {
      throttle.failed(keys);
      return htmlPage(c, 401, unlockPage({ mount, next, csrf: found.data.csrf, error: "Wrong password." }));
    }
    throttle.succeeded(keys[0]!);
    await unlockInSession(host.db.pool, found.id, route.runtime.id);
    return c.redirect(next, 303);
  });

  app.all("*", async (c) => {
    const url = new URL(c.req.url);
    if (url.pathname.startsWith("/_locara/"))
      return htmlPage(c, 404, page("Not found", "<p>No such page.</p>"));
    try {
      // The path as apps will read it: checked in that form, handed over in that form.
      const canonical = canonicalRequestPath(url.pathname);
      if (!canonical) return c.text("bad request path\n", 400);
      const route = await host.route(canonical.encoded);
      if (!route) return c.text(`no app is mounted at ${url.pathname}\n`, 404);
      const loaded = await route.runtime.load();
      if (loaded.installation.state === "disabled")
        throw new DisabledError(route.mount, loaded.installation.disabledReason);
      const found = await session(c);
      const viewer: Viewer = { owner: Boolean(found?.data.owner), unlocked: found?.data.unlocked ?? [] };
      // The mount path is plain lower-case text, so stripping it from either form gives the rest.
      const strip = (path: string) => (route.mount === "/" ? path : path.slice(route.mount.length) || "/");
      const rest = { decoded: strip(canonical.decoded), encoded: route.rest };
      const verdict = accessFor(routeFor(loaded.routes, rest.decoded), viewer, route.runtime.id);
      const next = url.pathname + url.search;
      if (verdict === "needs-password") {
        const { data } = await ensureSession(c);
        return htmlPage(c, 401, unlockPage({ mount: route.mount, next, csrf: data.csrf }));
      }
      if (verdict === "needs-owner") {
        // The owner signs in on the console's own origin (never this one, which apps share).
        const link = `${options.consoleUrl ?? "/"}_locara/sign-in`;
        return htmlPage(
          c,
          401,
          page(
            "For the owner only",
            `<p>Sign in as the owner on the console, <a href="${esc(link)}">${esc(link)}</a>, then reload this page.</p>`,
          ),
        );
      }
      // Static files the manifest declares: served by the host, the app's code never runs.
      const files = loaded.manifest.static.find((f) => covers(f.path, rest.decoded));
      if (files && (c.req.method === "GET" || c.req.method === "HEAD")) {
        const base = files.path === "/" ? "" : files.path.replace(/\/$/, "");
        const root = join(
          versionDir(host.home, route.runtime.id, loaded.installation.liveVersion),
          files.dir,
        );
        const file = await readStatic(root, rest.encoded.slice(base.length));
        if (!file) return c.text("not found\n", 404);
        const headers = {
          "content-type": file.type,
          "x-content-type-options": "nosniff",
          "cache-control": "no-cache",
        };
        return c.req.method === "HEAD"
          ? c.body(null, 200, headers)
          : c.body(new Uint8Array(file.body), 200, headers);
      }
      const length = Number(c.req.header("content-length") ?? 0);
      if (length > REQUEST_BODY_LIMIT)
        return c.text(`request body larger than ${REQUEST_BODY_LIMIT} bytes\n`, 413);
      // No body to read for GET and HEAD (reading it would build a full Request for nothing).
      const bodyless = c.req.method === "GET" || c.req.method === "HEAD";
      // Read with a cap as it arrives: a body without a length must not be buffered whole first.
      const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
      const read = bodyless
        ? new Uint8Array(0)
        : incoming
          ? await readBody(incoming)
          : new Uint8Array(await c.req.arrayBuffer());
      if (read === "too large" || read.length > REQUEST_BODY_LIMIT)
        return c.text(`request body larger than ${REQUEST_BODY_LIMIT} bytes\n`, 413);
      const body = read;
      const headers: [string, string][] = [];
      const keep = (name: string, value: string) => {
        if (name === "cookie") {
          const kept = withoutSessionCookie(value);
          if (kept) headers.push([name, kept]);
        } else headers.push([name, value]);
      };
      // Served by Node: the raw header lines, without building a Headers object.
      const raw = (c.env as { incoming?: { rawHeaders?: string[] } } | undefined)?.incoming?.rawHeaders;
      if (raw) for (let i = 0; i + 1 < raw.length; i += 2) keep(raw[i]!.toLowerCase(), raw[i + 1]!);
      else {
        c.req.raw.headers.forEach((value, name) => {
          keep(name, value);
        });
      }
      const request: GuestRequest = {
        method: c.req.method,
        url: new URL(rest.encoded + url.search, url.origin).href,
        headers,
        body: body.length > 0 ? body : null,
      };
      const outcome = await host.handle(route, request, viewer);
      if (!outcome.ok) {
        log(
          `app ${route.mount} failed on ${request.method} ${url.pathname}: ${outcome.error.name}: ${outcome.error.message}`,
        );
        return c.text("Internal Server Error\n", 500);
      }
      const answer = new Headers();
      for (const [name, value] of outcome.response.headers) {
        if (name === "content-length" || name === "transfer-encoding") continue;
        if (name === "set-cookie" && value.trimStart().startsWith(`${SESSION_COOKIE}=`)) continue;
        answer.append(name, value);
      }
      const status = outcome.response.status;
      const nullBody = c.req.method === "HEAD" || [204, 205, 304].includes(status);
      return new Response(nullBody ? null : outcome.response.body, {
        status,
        statusText: outcome.response.statusText,
        headers: answer,
      });
    } catch (error) {
      if (error instanceof DisabledError) return c.text(`${error.message}\n`, 503);
      log(error instanceof LocaraError ? error.message : `internal error: ${String(error)}`);
      return c.text(
        "Internal Server Error\n",
        error instanceof LocaraError && error.code === "LOCARA_E_STORE" ? 503 : 500,
      );
    }
  });
  return app;
}
