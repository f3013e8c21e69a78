import { Hono } from "hono";
import { deleteCookie, setSignedCookie } from "hono/cookie";
import type { Host } from "../host/host.ts";
import { verifyPassword } from "../host/password-hash.ts";
import { createSession, endSession, ownerPassword, useSignInToken } from "../store/web-store.ts";
import { adminApi } from "./admin-api.ts";
import { consoleRoutes } from "./console.ts";
import { page, signInPage } from "./pages.ts";
import { PasswordThrottle } from "./throttle.ts";
import {
  COOKIE,
  htmlPage,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  safeNext,
  styleSheet,
  tooManyAttempts,
  webSessions,
} from "./web-session.ts";

/**
 * The console's own origin (a port of its own): the owner's sign-in, the console pages and, with
 * a token, the admin API. Invariant: apps are never served from this origin, so no app's script
 * can read a console page (the browser keeps origins apart) and, since console forms take a token
 * only this origin shows, none can submit one.
 */
export function consoleApp(
  host: Host,
  options: { secret: string; throttle?: PasswordThrottle; adminToken?: string },
): Hono {
  const app = new Hono();
  const throttle = options.throttle ?? new PasswordThrottle();
  const web = webSessions(host, options.secret, "console");

  if (options.adminToken !== undefined) {
    const api = adminApi(host, { token: options.adminToken });
    app.all("/_locara/api/*", (c) => {
      const url = new URL(c.req.url);
      url.pathname = url.pathname.slice("/_locara/api".length);
      return api.fetch(new Request(url, c.req.raw));
    });
  }
  app.get("/_locara/locara.css", styleSheet);
  app.get("/", (c) => c.redirect("/_locara/apps", 303));

  app.get("/_locara/sign-in", async (c) => {
    const token = c.req.query("token");
    const next = safeNext(c.req.query("next") ?? "/_locara/apps");
    if (token) {
      const owner = await useSignInToken(host.db.pool, token);
      if (!owner)
        return htmlPage(
          c,
          403,
          page("Link used or expired", "<p>Ask for a new sign-in link: locara server prints one.</p>"),
        );
      const made = await createSession(host.db.pool, owner, SESSION_TTL_MS);
      await setSignedCookie(c, SESSION_COOKIE, made.id, options.secret, COOKIE);
      return c.redirect(next, 303);
    }
    const { data } = await web.ensureSession(c);
    return htmlPage(c, 200, signInPage({ next, csrf: data.csrf }));
  });

  app.post("/_locara/sign-in", async (c) => {
    const checked = await web.checkedForm(c);
    if (!checked) return web.refusedForm(c);
    const { form, found } = checked;
    const next = safeNext(form.next);
    const name = String(form.name ?? "");
    const keys = [`client:${web.client(c)}`, `owner:${name}`];
    const wait = throttle.waitMs(keys);
    if (wait > 0) return tooManyAttempts(c, wait);
    if (!(await verifyPassword(String(form.password ?? ""), await ownerPassword(host.db.pool, name)))) {
      throttle.failed(keys);
      return htmlPage(c, 401, signInPage({ next, csrf: found.data.csrf, error: "Wrong name or password." }));
    }
    throttle.succeeded(keys[0]!);
    await endSession(host.db.pool, found.id); // a new session id at sign-in: no fixation
    const made = await createSession(host.db.pool, name, SESSION_TTL_MS);
    await setSignedCookie(c, SESSION_COOKIE, made.id, options.secret, COOKIE);
    return c.redirect(next, 303);
  });

  app.post("/_locara/sign-out", async (c) => {
    const checked = await web.checkedForm(c);
    if (!checked) return web.refusedForm(c);
    await endSession(host.db.pool, checked.found.id);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.redirect("/_locara/sign-in", 303);
  });

  consoleRoutes(app, host, web);
  app.all("*", (c) => htmlPage(c, 404, page("Not found", "<p>No such page on the console.</p>")));
  return app;
}
