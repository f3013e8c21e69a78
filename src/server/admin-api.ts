import { timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { InvalidInputError, LocaraError } from "../errors.ts";
import { approveApp, installApp, requireInstallation } from "../host/admin-ops.ts";
import {
  auditLog,
  type GrantLength,
  getServerRules,
  grant,
  listApps,
  listRequests,
  parseDuration,
  parseSince,
  perms,
  revoke,
  setServerRules,
} from "../host/grant-ops.ts";
import type { Host } from "../host/host.ts";
import { setAppPassword, setRouteAccess } from "../host/route-ops.ts";
import { deleteApp, setAppState, updateApp } from "../host/update-ops.ts";
import { findVersion } from "../store/installations.ts";

const STATUS: Partial<Record<string, ContentfulStatusCode>> = {
  LOCARA_E_NOT_FOUND: 404,
  LOCARA_E_CONFLICT: 409,
  LOCARA_E_STORE: 503,
  LOCARA_E_DISABLED: 409,
};

/** The error as the API answers it: the LocaraError's code, message and data; never a stack. */
function failure(error: unknown): { status: ContentfulStatusCode; body: unknown } {
  if (error instanceof LocaraError)
    return { status: STATUS[error.code] ?? 400, body: { error: error.toJSON() } };
  return {
    status: 500,
    body: {
      error: {
        code: "LOCARA_E_INTERNAL",
        message: `internal error: ${String((error as Error)?.message ?? error)}`,
      },
    },
  };
}

const text = (v: unknown, name: string): string => {
  if (typeof v !== "string" || v === "") throw new InvalidInputError(name, `${name} is required`);
  return v;
};
const optional = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** KIND and RESOURCE of a grant or revocation, as given (a resource may be empty text). */
function target(b: Record<string, unknown>): { kind?: string; resource?: string } {
  const kind = optional(b.kind);
  return {
    ...(kind ? { kind } : {}),
    ...(typeof b.resource === "string" ? { resource: b.resource } : {}),
  };
}

function lengthOf(body: Record<string, unknown>): GrantLength {
  const given = ["once", "for", "until", "always"].filter((k) => body[k] !== undefined && body[k] !== false);
  if (given.length > 1) throw new InvalidInputError("grant", "give one of --once, --for, --until, --always");
  if (body.for !== undefined) return { forMs: parseDuration(String(body.for)) };
  if (body.until !== undefined) {
    const t = Date.parse(String(body.until));
    if (Number.isNaN(t))
      throw new InvalidInputError(String(body.until), "--until takes a date, e.g. 2027-01-31");
    return { until: new Date(t).toISOString() };
  }
  if (body.always) return { always: true };
  return { once: true };
}

/**
 * The admin API: JSON over HTTP, served on the host's Unix socket (file permissions decide who
 * is an admin) and, with a token, on the app listener under /_locara/api for remote admins.
 * Every route is a thin call of an admin operation; the operation records and audits.
 */
export function adminApi(host: Host, options: { token?: string } = {}): Hono {
  const app = new Hono();
  if (options.token !== undefined) {
    const expected = Buffer.from(`Bearer ${options.token}`);
    // Invariant: without the exact token (compared in constant time) nothing below runs.
    app.use("*", async (c, next) => {
      const given = Buffer.from(c.req.header("authorization") ?? "");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return c.json(
          {
            error: {
              code: "LOCARA_E_DENIED",
              message: "a valid admin token is required (Authorization: Bearer …)",
            },
          },
          401,
        );
      }
      await next();
    });
  }
  app.onError((error, c) => {
    const { status, body } = failure(error);
    return c.json(body, status);
  });
  const by = (c: { req: { header(name: string): string | undefined } }) =>
    options.token !== undefined ? "token" : (c.req.header("x-locara-user") ?? "admin").slice(0, 64);
  const body = async (c: { req: { json(): Promise<unknown> } }) => {
    const value = await c.req.json().catch(() => undefined);
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw new InvalidInputError("request", "the body must be a JSON object");
    return value as Record<string, unknown>;
  };

  app.get("/v1/health", (c) =>
    c.json({ ok: true, store: host.db.where, embedded: host.db.embedded !== undefined }),
  );
  app.get("/v1/apps", async (c) => c.json({ apps: await listApps(host) }));
  app.post("/v1/apps", async (c) => {
    const b = await body(c);
    return c.json(
      await installApp(host, {
        dir: text(b.dir, "dir"),
        path: text(b.path, "path"),
        approve: b.approve === true,
        by: by(c),
      }),
      201,
    );
  });
  app.get("/v1/app", async (c) => {
    const path = text(c.req.query("path"), "path");
    const installation = await requireInstallation(host.db.pool, path);
    const version = await findVersion(host.db.pool, installation.id, installation.liveVersion);
    return c.json({
      installation,
      audit: version?.audit,
      bundleHash: version?.bundleHash,
      ...(await perms(host, path)),
    });
  });
  app.post("/v1/app/approve", async (c) => {
    const b = await body(c);
    const state = b.state === "ask" || b.state === "rejected" ? b.state : "approved";
    const keys = Array.isArray(b.keys) ? b.keys.map(String) : undefined;
    return c.json(
      await approveApp(host, {
        path: text(b.path, "path"),
        dryRun: b.dryRun === true,
        by: by(c),
        state,
        ...(keys ? { keys } : {}),
      }),
    );
  });
  app.post("/v1/app/update", async (c) => {
    const b = await body(c);
    const dir = optional(b.dir);
    return c.json(
      await updateApp(host, {
        path: text(b.path, "path"),
        approve: b.approve === true,
        by: by(c),
        ...(dir ? { dir } : {}),
      }),
    );
  });
  app.post("/v1/app/delete", async (c) =>
    c.json(await deleteApp(host, { path: text((await body(c)).path, "path"), by: by(c) })),
  );
  app.post("/v1/app/disable", async (c) => {
    const b = await body(c);
    return c.json(
      await setAppState(host, {
        path: text(b.path, "path"),
        disabled: true,
        reason: String(b.reason ?? ""),
        by: by(c),
      }),
    );
  });
  app.post("/v1/app/enable", async (c) =>
    c.json(await setAppState(host, { path: text((await body(c)).path, "path"), disabled: false, by: by(c) })),
  );
  app.get("/v1/perms", async (c) => c.json(await perms(host, text(c.req.query("path"), "path"))));
  app.post("/v1/grant", async (c) => {
    const b = await body(c);
    const request = optional(b.request);
    const reason = optional(b.reason);
    return c.json(
      await grant(host, {
        path: text(b.path, "path"),
        length: lengthOf(b),
        deny: b.deny === true,
        by: by(c),
        ...target(b),
        ...(request ? { request } : {}),
        ...(reason ? { reason } : {}),
      }),
      201,
    );
  });
  app.post("/v1/revoke", async (c) => {
    const b = await body(c);
    return c.json(
      await revoke(host, { path: text(b.path, "path"), all: b.all === true, by: by(c), ...target(b) }),
    );
  });
  app.get("/v1/audit", async (c) => {
    const q = (name: string) => optional(c.req.query(name));
    const since = q("since");
    const limit = Number(q("limit") ?? 100);
    const events = await auditLog(host, {
      ...(q("app") ? { installation: q("app")! } : {}),
      ...(q("kind") ? { kind: q("kind")! } : {}),
      ...(q("denied") === "true" ? { denied: true } : {}),
      ...(since ? { since: parseSince(since) } : {}),
      ...(q("after") ? { afterId: q("after")! } : {}),
      limit: Number.isFinite(limit) ? limit : 100,
    });
    return c.json({ events });
  });
  app.get("/v1/routes", async (c) => {
    const path = text(c.req.query("path"), "path");
    const installation = await requireInstallation(host.db.pool, path);
    const loaded = await host.runtime(installation.id).load();
    return c.json({ path, routes: loaded.routes });
  });
  app.post("/v1/routes", async (c) => {
    const b = await body(c);
    return c.json(
      await setRouteAccess(host, {
        path: text(b.path, "path"),
        route: text(b.route, "route"),
        access: text(b.access, "access"),
        by: by(c),
      }),
    );
  });
  app.post("/v1/app/password", async (c) => {
    const b = await body(c);
    return c.json(
      await setAppPassword(host, {
        path: text(b.path, "path"),
        password: String(b.password ?? ""),
        by: by(c),
      }),
    );
  });
  app.get("/v1/rules", async (c) => c.json({ rules: await getServerRules(host) }));
  app.post("/v1/rules", async (c) =>
    c.json({ rules: await setServerRules(host, (await body(c)).rules, by(c)) }),
  );
  app.get("/v1/requests", async (c) =>
    c.json({ requests: await listRequests(host, optional(c.req.query("app"))) }),
  );
  return app;
}
