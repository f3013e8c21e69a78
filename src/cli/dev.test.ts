import { type ChildProcess, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  freshMachineDatabase,
  machinePostgresAvailable,
  type TestDatabase,
} from "../store/test-databases.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const children: ChildProcess[] = [];
let database: TestDatabase | undefined;
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await database?.drop();
});

describe("locara dev", () => {
  it("serves DIR at /, asks at the terminal and keeps the answer, reloads on a change", async () => {
    const dir = await mkdtemp(join(tmpdir(), "locara-dev-"));
    await chmod(dir, 0o755);
    const app = join(dir, "app");
    await mkdir(app);
    await writeFile(
      join(app, "locara.yaml"),
      "name: greeter\nversion: 1.0.0\nentry: app.ts\nroutes: [{ path: /, access: public }]\npermissions:\n  env: [GREETING]\n",
    );
    const code = (word: string) =>
      `import { get } from "locara:env";\nexport default { async fetch() { return new Response(\`${word} \${await get("GREETING")}\`); } };\n`;
    await writeFile(join(app, "app.ts"), code("v1"));
    database = (await machinePostgresAvailable()) ? await freshMachineDatabase() : undefined;
    const command = [process.execPath, join(root, "bin", "locara.js"), "dev", app, "--port", "0"]
      .map((a) => `'${a}'`)
      .join(" ");
    const env: Record<string, string | undefined> = {
      ...process.env,
      LOCARA_HOME: join(dir, "home"),
      GREETING: "hello",
      ...(database ? { LOCARA_DATABASE_URL: database.url } : {}),
      PATH: `${join(root, "node_modules", ".bin")}:${process.env.PATH}`,
    };
    delete env.CI;
    // A real pseudo-terminal (util-linux script), so the prompt is asked as it would be to a person.
    const child = spawn("script", ["-qfec", command, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
    children.push(child);
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const waitFor = async (pattern: RegExp, ms = 60_000) => {
      for (const start = Date.now(); Date.now() - start < ms; ) {
        const match = pattern.exec(output);
        if (match) return match;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`never saw ${pattern}:\n${output}`);
    };
    const url = (await waitFor(/serving .* at (http:\/\/127\.0\.0\.1:\d+\/)/))[1]!;

    const first = fetch(url).then((r) => r.text());
    await waitFor(/asks to read the environment variable "GREETING"/);
    child.stdin!.write("a\n"); // allow always
    expect(await first).toBe("v1 hello");

    await writeFile(join(app, "app.ts"), code("v2"));
    await waitFor(/reloaded: version 2 is live/);
    expect(await (await fetch(url)).text()).toBe("v2 hello"); // the answer was kept: no second prompt
    expect(output.match(/asks to read the environment variable/g), output).toHaveLength(1);

    child.stdin!.write("\u0003"); // Ctrl-C at the terminal
    const exit = await new Promise<number | null | string>((resolve) => {
      child.on("exit", resolve);
      setTimeout(() => resolve(`still running:\n${output}`), 15_000);
    });
    expect(exit).toBe(0);
  }, 120_000);
});
