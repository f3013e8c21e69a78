import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installApp } from "../host/admin-ops.ts";
import { Host } from "../host/host.ts";
import { queryAudit } from "../store/audit-store.ts";
import { freshDatabase, type TestDatabase } from "../store/test-databases.ts";
import { prepareOwner, type RunningServer, startServer } from "./server.ts";

/*
 * The console in a real headless Chromium (Debian's, installed by .ci/run): sign in as the owner,
 * approve a pending example from the console, use the app, answer its pending request with
 * "allow for 30 days", revoke it, disable the app, and read each step in the audit page.
 * LOCARA_SCREENSHOTS=docs writes the screenshots to docs/screenshots (as committed).
 */
const CHROMIUM = "/usr/bin/chromium";
const root = fileURLToPath(new URL("../..", import.meta.url));
const available = existsSync(CHROMIUM);
if (!available) console.warn(`console e2e: ${CHROMIUM} is absent (.ci/run installs it); skipped here`);

let dir: string;
let shots: string;
let database: TestDatabase;
let host: Host;
let server: RunningServer;
let browser: Browser;
let signInLink: string;

beforeAll(async () => {
  if (!available) return;
  dir = await mkdtemp(join(tmpdir(), "locara-console-"));
  shots = process.env.LOCARA_SCREENSHOTS === "docs" ? join(root, "docs", "screenshots") : join(dir, "shots");
  await mkdir(shots, { recursive: true });
  const user = join(dir, "user");
  await mkdir(join(user, "Documents", "reports"), { recursive: true });
  await writeFile(join(user, "Documents", "reports", "q3.txt"), "x".repeat(20_000));
  await mkdir(join(dir, "inspect", "photos"), { recursive: true });
  database = await freshDatabase();
  host = await Host.start({ home: join(dir, "home"), databaseUrl: database.url, userHome: user });
  // The example as `npm start` installs it: waiting for approval (its /tmp narrowed to one folder).
  const app = join(dir, "disk_usage");
  await cp(join(root, "examples", "disk_usage"), app, { recursive: true });
  const yaml = join(app, "locara.yaml");
  await writeFile(
    yaml,
    (await readFile(yaml, "utf8")).replace('path: "/tmp"', `path: "${join(dir, "inspect")}"`),
  );
  await installApp(host, {
    dir: app,
    path: "/utils/disk_usage",
    approve: false,
    by: "locara server --examples",
  });
  server = await startServer({ host, socket: join(dir, "home", "admin.sock"), port: 0 });
  signInLink = (await prepareOwner(host, server.consoleUrl))!;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await host?.close();
  await database?.drop();
});

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

describe.skipIf(!available)("the console in a real browser", () => {
  it("sign in, approve, use, answer a request for 30 days, revoke, disable, and read it all in the audit log", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const base = server.appsUrl.replace(/\/$/, "");
    const consoleBase = server.consoleUrl.replace(/\/$/, "");
    const folder = encodeURIComponent(join(dir, "inspect"));
    const documents = encodeURIComponent(join(dir, "user", "Documents"));

    // Sign in with the one-time link: the apps page.
    await page.goto(`${signInLink}&next=/_locara/apps`);
    await expect(page.getByRole("heading", { name: "Apps" }).isVisible()).resolves.toBe(true);
    const row = page.getByRole("row", { name: /\/utils\/disk_usage/ });
    expect(await row.textContent()).toContain("needs approval");
    await shot(page, "console-apps");

    // The app detail: the audit report with reasons; approve everything pending.
    await page.getByRole("link", { name: "/utils/disk_usage" }).click();
    expect(await page.textContent("main")).toContain("measure the size of each folder");
    await shot(page, "console-app");
    await page.getByRole("button", { name: "Approve all pending" }).click();
    expect(await page.textContent("main")).toContain("Every declared permission has an answer.");

    // The app works.
    await page.goto(`${base}/utils/disk_usage/?folder=${folder}`);
    expect(await page.textContent("table")).toContain("photos");

    // Set ~/Documents to ask: the app's request becomes a pending request.
    await page.goto(`${consoleBase}/_locara/app?path=${encodeURIComponent("/utils/disk_usage")}`);
    await page
      .getByRole("row", { name: /fs\.read ~\/Documents/ })
      .getByRole("button", { name: "Set to ask" })
      .click();
    await page.goto(`${base}/utils/disk_usage/?folder=${documents}`);
    expect(await page.textContent("body")).toContain("waiting for an answer");

    // Answer it in the console: allow for 30 days; the app now works.
    await page.goto(`${consoleBase}/_locara/requests`);
    expect(await page.textContent("main")).toContain("asks to read");
    await shot(page, "console-requests");
    await page.getByRole("button", { name: "Allow for 30 days" }).click();
    expect(await page.textContent("main")).toContain("No pending requests.");
    await page.goto(`${base}/utils/disk_usage/?folder=${documents}`);
    expect(await page.textContent("table")).toContain("reports");

    // Revoke it: asked again.
    await page.goto(`${consoleBase}/_locara/app?path=${encodeURIComponent("/utils/disk_usage")}`);
    await page.getByRole("button", { name: "Revoke" }).click();
    expect(await page.textContent("main")).toContain("No live grants.");
    await page.goto(`${base}/utils/disk_usage/?folder=${documents}`);
    expect(await page.textContent("body")).toContain("waiting for an answer");

    // Disable with a reason: the app's page refuses.
    await page.goto(`${consoleBase}/_locara/app?path=${encodeURIComponent("/utils/disk_usage")}`);
    await page.getByLabel("Reason for disabling").fill("incident 42: trying the console");
    await page.getByRole("button", { name: "Disable now" }).click();
    const refused = await page.goto(`${base}/utils/disk_usage/?folder=${folder}`);
    expect(refused?.status()).toBe(503);
    expect(await page.textContent("body")).toContain("is disabled (incident 42: trying the console)");

    // Each step is in the audit page.
    await host.audit.flush();
    await page.goto(`${consoleBase}/_locara/audit?app=${encodeURIComponent("/utils/disk_usage")}`);
    const log = (await page.textContent("main")) ?? "";
    for (const step of [
      "admin.install",
      "admin.approve",
      "admin.ask",
      "admin.grant",
      "admin.revoke",
      "admin.disable",
    ]) {
      expect(log, step).toContain(step);
    }
    await shot(page, "console-audit");
    const events = await queryAudit(host.db.pool, {
      installation: "/utils/disk_usage",
      kind: "admin",
      limit: 100,
    });
    expect(events.find((e) => e.call === "admin.grant")?.rule).toBe("by console:owner");
    await page.close();
  }, 120_000);
});
