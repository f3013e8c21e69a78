import { createHmac } from "node:crypto";
import type { Context } from "hono";
import { getSignedCookie, setSignedCookie } from "hono/cookie";
import type { Host } from "../host/host.ts";
import { createSession, findSession, type StoredSession } from "../store/web-store.ts";
import { HOST_PAGE_HEADERS, page, STYLE } from "./pages.ts";

export const SESSION_COOKIE = "locara_session";
/** Largest form a host page accepts. */
const FORM_LIMIT = 64 * 1024;
export const SESSION_TTL_MS = 12 * 3_600_000;
export const COOKIE = { httpOnly: true, sameSite: "Lax", path: "/", maxAge: SESSION_TTL_MS / 1000 } as const;

/**
 * A redirect target that stays on this host: an absolute path, never `//other`, a scheme, a
 * backslash, or a control character (browsers drop tabs and newlines: `/\t/evil` is `//evil`).
 */
export function safeNext(next: unknown): string {
  const onHost =
    typeof next === "string" &&
    next.startsWith("/") &&
    !next.startsWith("//") &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    !/[\\\u0000-\u001f\u007f]/.test(next);
  return onHost ? next : "/";
}

export const htmlPage = (
  c: Context,
  status: 200 | 401 | 403 | 404 | 409 | 429 | 503,
  html: string,
  extra: Record<string, string> = {},
) => c.body(html, status, { ...HOST_PAGE_HEADERS, ...extra });

/** A client that must wait (too many wrong passwords): refused without looking at the password. */
export const tooManyAttempts = (c: Context, waitMs: number) =>
  htmlPage(c, 429, page("Too many attempts", `<p>Wait ${Math.ceil(waitMs / 1000)} s and try again.</p>`), {
    "retry-after": String(Math.ceil(waitMs / 1000)),
  });

/** The host pages' one style sheet, on whichever origin serves them. */
export const styleSheet = (c: Context) =>
  c.body(STYLE, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "max-age=3600" });

/**
 * Sessions of the host's web pages: read, made when a form needs a CSRF token, and checked forms.
 * `scope` is the origin the pages are served from. Invariant: the console's forms take a token
 * derived from the session's with the host's secret, so a token an app's script can read on the
 * apps' origin (the unlock form is served there) never works on the console.
 */
export function webSessions(host: Host, secret: string, scope: "apps" | "console") {
  const scoped = (csrf: string) =>
    scope === "apps" ? csrf : createHmac("sha256", secret).update(`console:${csrf}`).digest("base64url");
  const session = async (c: Context): Promise<{ id: string; data: StoredSession } | undefined> => {
    const id = await getSignedCookie(c, secret, SESSION_COOKIE);
    if (typeof id !== "string") return undefined;
    const data = await findSession(host.db.pool, id);
    return data ? { id, data: { ...data, csrf: scoped(data.csrf) } } : undefined;
  };
  /** The visitor's session, made (anonymous) if there is none, so that forms have a CSRF token. */
  const ensureSession = async (c: Context) => {
    const found = await session(c);
    if (found) return found;
    const made = await createSession(host.db.pool, null, SESSION_TTL_MS);
    await setSignedCookie(c, SESSION_COOKIE, made.id, secret, COOKIE);
    return { id: made.id, data: { owner: null, unlocked: [], csrf: scoped(made.csrf) } };
  };
  const client = (c: Context) =>
    (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket
      ?.remoteAddress ?? "unknown";
  /** A form post with the session's CSRF token; anything else is refused before it is read further. */
  const checkedForm = async (c: Context) => {
    // Host forms are small: a body without a length, or a long one, is refused unread.
    const length = Number(c.req.header("content-length") ?? Number.NaN);
    if (!(length <= FORM_LIMIT)) return undefined;
    const form = await c.req.parseBody();
    const found = await session(c);
    if (!found || typeof form.csrf !== "string" || form.csrf !== found.data.csrf) return undefined;
    return { form, found };
  };
  const refusedForm = (c: Context) =>
    htmlPage(
      c,
      403,
      page(
        "Refused",
        "<p>This form has expired or did not come from this host. Go back, reload and try again.</p>",
      ),
    );

  return { session, ensureSession, client, checkedForm, refusedForm };
}

export type WebSessions = ReturnType<typeof webSessions>;
export type { StoredSession };
