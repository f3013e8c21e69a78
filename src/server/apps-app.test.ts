import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installApp } from "../host/admin-ops.ts";
import { Host } from "../host/host.ts";
import { setAppPassword, setRouteAccess } from "../host/route-ops.ts";
import { freshDatabase, type TestDatabase } from "../store/test-databases.ts";
import { createSignInToken, ensureOwner } from "../store/web-store.ts";
import { appsApp, SESSION_COOKIE } from "./apps-app.ts";
import { consoleApp } from "./console-app.ts";
import { PasswordThrottle } from "./throttle.ts";

let dir: string;
let database: TestDatabase;
let host: Host;
let app: Hono;
let consoleSide: Hono;
const SECRET = "test-secret-test-secret-test-secret";
/** The console's origin serves sign-in and the console; everything else is the apps' origin. */
const originOf = (path: string) =>
  path.startsWith("/_locara/") &&
  !path.startsWith("/_locara/unlock") &&
  !path.startsWith("/_locara/locara.css")
    ? consoleSide
    : app;
let clock = 1_000_000;
const throttle = new PasswordThrottle({ free: 3, baseMs: 1000, now: () => clock });

/** An app answering with its own name, the path it saw, and the cookies it was given; it tries to set the host's cookie. */
async function makeApp(name: string, routes: string, keys = ""): Promise<string> {
  const app = join(dir, name);
  await mkdir(app, { recursive: true });
  await writeFile(
    join(app, "locara.yaml"),
    `name: ${name}\nversion: 1.0.0\nentry: app.ts\n${keys}routes:\n${routes}`,
  );
  await writeFile(
    join(app, "app.ts"),
    `export default { fetch(req) {
  const url = new URL(req.url);
  return new Response("${name} " + url.pathname + " cookie=" + (req.headers.get("cookie") ?? ""), {
    headers: [["set-cookie", "${SESSION_COOKIE}=forged; Path=/"], ["set-cookie", "app_pref=dark; Path=/"]],
  });
} };`,
  );
  return app;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "locara-serving-"));
  database = await freshDatabase();
  host = await Host.start({ home: join(dir, "home"), databaseUrl: database.url, userHome: dir });
  const site = await makeApp(
    "site",
    `  - { path: /, access: public }
  - { path: /members, access: limited }
  - { path: /members/open, access: public }
  - { path: /admin, access: private }
  - { path: /reports, access: keys, keys: [reports.read] }
  - { path: /api, access: public, strict: true }
`,
    "keys:\n  - { key: reports.read, name: Read the reports }\nstatic:\n  - { path: /assets, dir: public }\n",
  );
  await mkdir(join(site, "public", "css"), { recursive: true });
  await writeFile(join(site, "public", "css", "site.css"), "body { color: teal }\n");
  await writeFile(join(site, "public", "index.html"), "<h1>assets</h1>\n");
  await symlink("/etc/passwd", join(site, "public", "leak"));
  await installApp(host, { dir: site, path: "/a", approve: true, by: "test" });
  await installApp(host, {
    dir: await makeApp("other", "  - { path: /, access: public }\n"),
    path: "/ab",
    approve: true,
    by: "test",
  });
  const features = join(dir, "features");
  await mkdir(features, { recursive: true });
  await writeFile(
    join(features, "locara.yaml"),
    "name: features\nversion: 1.0.0\nentry: app.ts\nroutes:\n  - { path: /, access: public }\n  - { path: /feature/upload, access: private }\n",
  );
  await writeFile(
    join(features, "app.ts"),
    `import { getAccess, hasAccess } from "locara:access";
export default { async fetch() {
  return Response.json({ upload: await hasAccess("/feature/upload"), access: await getAccess("/feature/upload"), home: await hasAccess("/") });
} };`,
  );
  await installApp(host, { dir: features, path: "/features", approve: true, by: "test" });
  await setAppPassword(host, { path: "/a", password: "correct horse", by: "test" });
  await ensureOwner(host.db.pool, "owner", null);
  app = appsApp(host, { secret: SECRET, throttle, consoleUrl: "http://127.0.0.1:9/" });
  consoleSide = consoleApp(host, { secret: SECRET, throttle });
}, 120_000);

afterAll(async () => {
  await host?.close();
  await database?.drop();
});

/** A browser in miniature: keeps the cookies the host sets. */
function browser(server?: () => Hono) {
  const jar = new Map<string, string>();
  const send = async (path: string, init: RequestInit = {}) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const response = await (server ? server() : originOf(path)).request(path, {
      ...init,
      headers: { ...(cookie ? { cookie } : {}), ...(init.headers as object) },
    });
    for (const set of response.headers.getSetCookie()) {
      const [pair] = set.split(";");
      const [name, ...value] = pair!.split("=");
      jar.set(name!, value.join("="));
    }
    return response;
  };
  const csrf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  const post = (path: string, fields: Record<string, string>) => {
    const body = new URLSearchParams(fields).toString();
    return send(path, {
      method: "POST",
      body,
      // As a browser sends a form: with its length (host forms without one are refused).
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "content-length": String(Buffer.byteLength(body)),
      },
    });
  };
  return { send, post, csrf, jar };
}

describe("route access", () => {
  it("public routes answer anyone; the app sees its path with the mount prefix stripped", async () => {
    const r = await browser().send("/a/hello?x=1");
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("site /hello cookie=");
  });

  it("routes no one declared are private; the longest declared route decides", async () => {
    const b = browser();
    expect((await b.send("/a/admin/users")).status).toBe(401); // private
    expect((await b.send("/a/members/open/page")).status).toBe(200); // public inside limited
    expect((await b.send("/a/members/x")).status).toBe(401); // limited
  });

  it("route access checks the path in the form the app will route on: encodings, case and slashes", async () => {
    for (const path of [
      "/a/%61dmin",
      "/a/ADMIN",
      "/a/Admin/x",
      "/a//admin",
      "/a/./admin",
      "/a/members/%2e%2e/admin",
    ]) {
      expect((await browser().send(path)).status, path).toBe(401);
    }
    expect((await browser().send("/a/adm%2Fin")).status).toBe(400);
    // The app gets exactly the path that was checked.
    expect(await (await browser().send("/a/%68ello//world")).text()).toBe("site /hello/world cookie=");
  });

  it("a mount path is matched by whole segments: /ab is never served by /a", async () => {
    expect(await (await browser().send("/ab/x")).text()).toMatch(/^other \/x/);
    expect(await (await browser().send("/a/b")).text()).toMatch(/^site \/b/);
  });

  it("limited: the right password unlocks the installation for the session; a wrong one does not", async () => {
    const b = browser();
    const form = await (await b.send("/a/members/x")).text();
    expect(form).toContain('<label for="password">Password</label>');
    const wrong = await b.post("/_locara/unlock", {
      csrf: b.csrf(form),
      mount: "/a",
      next: "/a/members/x",
      password: "nope",
    });
    expect(wrong.status).toBe(401);
    const right = await b.post("/_locara/unlock", {
      csrf: b.csrf(form),
      mount: "/a",
      next: "/a/members/x",
      password: "correct horse",
    });
    expect(right.status).toBe(303);
    expect(right.headers.get("location")).toBe("/a/members/x");
    expect((await b.send("/a/members/x")).status).toBe(200);
    expect((await b.send("/a/admin")).status).toBe(401); // a password is not the owner
    expect((await browser().send("/a/members/x")).status).toBe(401); // another session is not unlocked
  });

  it("a host form without a length, or longer than 64 KiB, is refused unread", async () => {
    const b = browser();
    const csrf = b.csrf(await (await b.send("/a/members/x")).text());
    const huge = new URLSearchParams({
      csrf,
      mount: "/a",
      next: "/",
      password: "x".repeat(70_000),
    }).toString();
    const long = await b.send("/_locara/unlock", {
      method: "POST",
      body: huge,
      headers: { "content-type": "application/x-www-form-urlencoded", "content-length": String(huge.length) },
    });
    expect(long.status).toBe(403);
    const unsized = await b.send("/_locara/unlock", {
      method: "POST",
      body: new URLSearchParams({ csrf, mount: "/a", next: "/", password: "correct horse" }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(unsized.status).toBe(403);
  });

  it("forms without the session's CSRF token are refused", async () => {
    const b = browser();
    await b.send("/a/members/x");
    expect(
      (await b.post("/_locara/unlock", { mount: "/a", password: "correct horse", next: "/" })).status,
    ).toBe(403);
    expect(
      (await b.post("/_locara/unlock", { csrf: "forged", mount: "/a", password: "correct horse", next: "/" }))
        .status,
    ).toBe(403);
    expect((await browser().post("/_locara/sign-out", { csrf: "x" })).status).toBe(403);
  });

  it("repeated wrong passwords slow the client down, even for the right password, until the wait is over", async () => {
    const own = appsApp(host, {
      secret: SECRET,
      throttle: new PasswordThrottle({ free: 3, now: () => clock }),
    });
    const b = browser(() => own);
    const form = await await b.send("/a/members/x");
    const csrf = b.csrf(await form.text());
    for (let i = 0; i < 4; i++) {
      expect(
        (await b.post("/_locara/unlock", { csrf, mount: "/a", next: "/", password: `wrong ${i}` })).status,
      ).toBe(401);
    }
    const locked = await b.post("/_locara/unlock", {
      csrf,
      mount: "/a",
      next: "/",
      password: "correct horse",
    });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    clock += 120_000;
    expect(
      (await b.post("/_locara/unlock", { csrf, mount: "/a", next: "/", password: "correct horse" })).status,
    ).toBe(303);
  });

  it("the owner signs in with a one-time link and reaches private and keys routes; the link works once", async () => {
    const token = await createSignInToken(host.db.pool, "owner", 60_000);
    const b = browser();
    const signIn = await b.send(`/_locara/sign-in?token=${token}&next=/a/admin`);
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get("location")).toBe("/a/admin");
    expect((await b.send("/a/admin")).status).toBe(200);
    expect((await b.send("/a/reports/q3")).status).toBe(200);
    expect((await b.send("/a/members/x")).status).toBe(200);
    expect((await browser().send(`/_locara/sign-in?token=${token}`)).status).toBe(403);
    // A redirect target is always on this host.
    const again = await createSignInToken(host.db.pool, "owner", 60_000);
    expect(
      (await browser().send(`/_locara/sign-in?token=${again}&next=//evil.example/`)).headers.get("location"),
    ).toBe("/");
    const tab = await createSignInToken(host.db.pool, "owner", 60_000);
    // Browsers drop tabs and newlines in URLs: "/\t/evil.example" would be "//evil.example".
    expect(
      (await browser().send(`/_locara/sign-in?token=${tab}&next=/%09/evil.example/`)).headers.get("location"),
    ).toBe("/");
  });

  it("the host's session cookie never reaches an app, and an app cannot set it", async () => {
    const token = await createSignInToken(host.db.pool, "owner", 60_000);
    const b = browser();
    await b.send(`/_locara/sign-in?token=${token}`);
    const session = b.jar.get(SESSION_COOKIE);
    b.jar.set("app_pref", "dark");
    const r = await b.send("/a/admin");
    expect(await r.text()).toBe("site /admin cookie=app_pref=dark");
    expect(r.headers.getSetCookie()).toEqual(["app_pref=dark; Path=/"]);
    expect(b.jar.get(SESSION_COOKIE)).toBe(session);
  });

  it("the owner may change a non-strict route; a strict one refuses; unknown routes are not created", async () => {
    await setRouteAccess(host, { path: "/a", route: "/admin", access: "public", by: "test" });
    expect((await browser().send("/a/admin")).status).toBe(200);
    await expect(
      setRouteAccess(host, { path: "/a", route: "/api", access: "private", by: "test" }),
    ).rejects.toThrow(/the route is strict in \/a's manifest: its access \(public\) can never change/);
    await expect(
      setRouteAccess(host, { path: "/a", route: "/nope", access: "public", by: "test" }),
    ).rejects.toThrow(/no route "\/nope"/);
    await setRouteAccess(host, { path: "/a", route: "/admin", access: "private", by: "test" });
    expect((await browser().send("/a/admin")).status).toBe(401);
  });

  it("locara:access tells the app what the visitor of this request may use", async () => {
    expect(await (await browser().send("/features/")).json()).toEqual({
      upload: false,
      access: "private",
      home: true,
    });
    const token = await createSignInToken(host.db.pool, "owner", 60_000);
    const owner = browser();
    await owner.send(`/_locara/sign-in?token=${token}`);
    expect(await (await owner.send("/features/")).json()).toEqual({
      upload: true,
      access: "private",
      home: true,
    });
    // The next anonymous request is anonymous again.
    expect((await (await browser().send("/features/")).json()) as { upload: boolean }).toMatchObject({
      upload: false,
    });
  });

  it("static files are served by the host from the installed copy, never through a link out or ..", async () => {
    const css = await browser().send("/a/assets/css/site.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await css.text()).toBe("body { color: teal }\n");
    expect(await (await browser().send("/a/assets/")).text()).toBe("<h1>assets</h1>\n");
    for (const path of ["/a/assets/leak", "/a/assets/missing.png"]) {
      expect((await browser().send(path)).status, path).toBe(404);
    }
    expect((await browser().send("/a/assets/css%2f..%2f..%2flocara.yaml")).status).toBe(400); // an encoded slash
    // An encoded ".." is resolved by URL parsing first: it leaves /assets, so the app answers.
    expect(await (await browser().send("/a/assets/%2e%2e/locara.yaml")).text()).toMatch(
      /^site \/locara\.yaml/,
    );
  });

  it("the console is another origin: a token an app's page can read there never works on the console", async () => {
    const b = browser();
    // An app's script could read the unlock form on the apps' origin (the app's own origin).
    const appsToken = b.csrf(await (await b.send("/a/members/x")).text());
    // The same session's token on the console is another one, derived with the host's secret.
    const consoleToken = b.csrf(await (await b.send("/_locara/sign-in")).text());
    expect(appsToken).not.toBe("");
    expect(consoleToken).not.toBe("");
    expect(consoleToken).not.toBe(appsToken);
    const withAppsToken = await b.post("/_locara/sign-in", {
      csrf: appsToken,
      name: "owner",
      password: "guess",
      next: "/",
    });
    expect(withAppsToken.status).toBe(403); // refused as a forged form, before the password is looked at
    const withConsoleToken = await b.post("/_locara/sign-in", {
      csrf: consoleToken,
      name: "owner",
      password: "guess",
      next: "/",
    });
    expect(withConsoleToken.status).toBe(401); // a real attempt, with a wrong password
    // The owner's console forms work with the console's token.
    const token = await createSignInToken(host.db.pool, "owner", 60_000);
    const owner = browser();
    await owner.send(`/_locara/sign-in?token=${token}`);
    const ownerToken = owner.csrf(await (await owner.send("/_locara/apps")).text());
    expect((await owner.post("/_locara/app/approve", { csrf: ownerToken, path: "/a" })).status).toBe(303);
    // Private app routes send visitors to the console to sign in.
    expect(await (await browser().send("/a/admin")).text()).toContain("http://127.0.0.1:9/_locara/sign-in");
  });

  it("host pages carry a strict content security policy", async () => {
    const r = await browser().send("/_locara/sign-in");
    expect(r.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(r.headers.get("x-frame-options")).toBe("DENY");
  });
});
