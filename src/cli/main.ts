import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { InvalidInputError } from "../errors.ts";
import { CAPABILITY_KINDS } from "../manifest/kinds.ts";
import { registerAccessCommands } from "./access-commands.ts";
import { registerAppCommands } from "./app-commands.ts";
import { registerDevCommand } from "./dev-command.ts";
import { EXIT, type Io, processIo, reportError } from "./io.ts";
import { registerServerCommand } from "./server-command.ts";

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function program(io: Io, setExit: (code: number) => void): Command {
  const root = new Command("locara")
    .description("Run untrusted apps with zero ambient authority.")
    .version(version())
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });

  const policy = root.command("policy").description("check what the permission engine decides");
  policy
    .command("check")
    .description("decide one request (KIND RESOURCE) or many (--requests FILE.jsonl) against a manifest")
    .argument("[kind]", `capability kind: ${CAPABILITY_KINDS.join(", ")}`)
    .argument("[resource...]", "a path, host[:port] or URL, or a name; for run, the argv after --")
    .requiredOption("--manifest <file>", "the app's locara.yaml / locara.json, or its folder")
    .addOption(
      new Option("--approve <mode>", "treat every declared permission as approved, pending or ask")
        .choices(["all", "none", "ask"])
        .default("all"),
    )
    .option("--grants <file>", "a JSON array of grants (runtime answers)")
    .option("--server-rules <file>", "server rules (deny lists, net.allowPrivate)")
    .option("--requests <file>", "JSON lines, one request per line; - for standard input")
    .option("--app <path>", "the installation's mount path used in messages (default: the manifest's name)")
    .option("--home <dir>", "the home folder ~ stands for (default: yours)")
    .option("--session <id>", "the session that session-term grants are checked against")
    .option("--json", "print the decision as JSON", false)
    .action(async (kind: string | undefined, resource: string[], opts: Record<string, unknown>) => {
      const json = opts.json === true;
      try {
        // Each command loads its implementation when it runs: a quick command stays quick.
        const { policyCheck } = await import("./policy-check.ts");
        setExit(
          await policyCheck(io, kind, resource, {
            manifest: String(opts.manifest),
            approve: String(opts.approve),
            json,
            ...pick(opts, ["grants", "serverRules", "requests", "app", "home", "session"]),
          }),
        );
      } catch (error) {
        setExit(reportError(io, error, json));
      }
    });

  const manifest = root.command("manifest").description("validate app manifests");
  manifest
    .command("check")
    .description("validate a manifest and print what it asks for, grouped by kind, with reasons")
    .argument("<dir>", "the app folder (or its manifest file)")
    .option("--json", "print the result as JSON", false)
    .action(async (dir: string, opts: { json: boolean }) => {
      try {
        const { manifestCheck } = await import("./manifest-check.ts");
        setExit(await manifestCheck(io, dir, opts.json));
      } catch (error) {
        setExit(reportError(io, error, opts.json));
      }
    });
  root
    .command("run")
    .description(
      "run an app in the sandbox: a script's export default async function main(args) once, or serve an app's export default { fetch(request) } on 127.0.0.1 until interrupted",
    )
    .argument(
      "<target>",
      "the app folder (its manifest names the entry) or a script file with a manifest beside it",
    )
    .argument("[args...]", "arguments for main(args), after --")
    .option("--manifest <file>", "the manifest to use instead of the one beside the target")
    .addOption(
      new Option("--approve <mode>", "answer every declared permission: all approved, none (pending) or ask")
        .choices(["all", "none", "ask"])
        .default("ask"),
    )
    .option(
      "--no-prompt",
      "never ask: a permission set to ask is denied with the command that would grant it",
    )
    .option("--port <port>", "for a web app: the loopback port to serve on (0 picks a free one)", "8000")
    .option(
      "--server-rules <file>",
      "server rules for this run (deny lists, net.allowPrivate): the admin's decisions, never the app's",
    )
    .option("--json", "print the result as JSON", false)
    .action(async (target: string, args: string[], opts: Record<string, unknown>) => {
      const json = opts.json === true;
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        setExit(
          reportError(
            io,
            new InvalidInputError(String(opts.port), "the port must be a number from 0 to 65535"),
            json,
          ),
        );
        return;
      }
      try {
        const { runCommand } = await import("./run.ts");
        setExit(
          await runCommand(io, target, args, {
            approve: String(opts.approve),
            prompt: opts.prompt !== false,
            port,
            json,
            ...pick(opts, ["manifest", "serverRules"]),
          }),
        );
      } catch (error) {
        setExit(reportError(io, error, json));
      }
    });
  registerServerCommand(root, io, setExit);
  registerDevCommand(root, io, setExit);
  registerAppCommands(root, io, setExit);
  registerAccessCommands(root, io, setExit);
  return root;
}

function pick(opts: Record<string, unknown>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) if (typeof opts[key] === "string") out[key] = opts[key];
  return out;
}

/** Run the CLI; resolves to the exit code. Never exits the process itself, never prompts. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code: number = EXIT.ok;
  try {
    await program(io, (c) => {
      code = c;
    }).parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    return reportError(io, error, argv.includes("--json"));
  }
  return code;
}
