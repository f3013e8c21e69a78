import { homedir } from "node:os";
import { LimitError, SandboxCrashError } from "../errors.ts";
import { openApp } from "../host/app-session.ts";
import { locaraHome } from "../host/locara-home.ts";
import { canPrompt, terminalPrompter } from "../host/prompt.ts";
import { runEntry } from "../host/run-app.ts";
import { serveApp } from "../host/serve-app.ts";
import { parseServerRules } from "../policy/inputs.ts";
import { EXIT, type Io, readDataFile } from "./io.ts";
import { interrupted } from "./signals.ts";

export interface RunCommandOptions {
  readonly approve: string;
  /** False with --no-prompt. */
  readonly prompt: boolean;
  readonly manifest?: string;
  readonly json: boolean;
  /** Where a web app is served on 127.0.0.1 (0: the kernel picks a free port). */
  readonly port: number;
  /** A server rules file (deny lists, net.allowPrivate). */
  readonly serverRules?: string;
}

/**
 * `locara run`: a script's main(args) is called once (exit 0 when it returned, 1 when the app
 * failed or hit a limit, 2 for bad input); a web app's fetch handler is served on a loopback port
 * until interrupted (exit 0).
 */
export async function runCommand(
  io: Io,
  target: string,
  args: readonly string[],
  options: RunCommandOptions,
): Promise<number> {
  const approve = options.approve === "all" || options.approve === "none" ? options.approve : "ask";
  const prompter = options.prompt && canPrompt() ? terminalPrompter() : undefined;
  let session: Awaited<ReturnType<typeof openApp>> | undefined;
  try {
    session = await openApp({
      target,
      approve,
      home: homedir(),
      locaraHome: locaraHome(),
      environment: process.env,
      ...(prompter === undefined ? {} : { prompt: prompter }),
      output: { write: (stream, text) => (stream === "stdout" ? io.out(text) : io.err(text)) },
      ...(options.manifest === undefined ? {} : { manifest: options.manifest }),
      ...(options.serverRules === undefined
        ? {}
        : {
            serverRules: parseServerRules(
              await readDataFile(options.serverRules, "server rules"),
              options.serverRules,
            ),
          }),
    });
    const { app, mode, result } = await runEntry(session, args);
    if (mode === "fetch") {
      const serving = await serveApp(session, options.port);
      io.err(`locara: serving app ${app} at ${serving.url} (press Ctrl-C to stop)\n`);
      await interrupted();
      io.err("locara: stopping\n");
      await serving.close();
      return EXIT.ok;
    }
    if (result.ok) {
      const value = result.value;
      io.out(
        options.json
          ? `${JSON.stringify({ ok: true, value })}\n`
          : `${typeof value === "string" ? value : JSON.stringify(value, null, 2)}\n`,
      );
      return EXIT.ok;
    }
    if (options.json) io.out(`${JSON.stringify({ ok: false, error: result.error })}\n`);
    else io.err(`locara: app ${app} failed: ${result.error.name}: ${result.error.message}\n`);
    return EXIT.no;
  } catch (error) {
    if (!(error instanceof LimitError || error instanceof SandboxCrashError)) throw error;
    if (options.json) io.out(`${JSON.stringify({ ok: false, error: error.toJSON() })}\n`);
    else io.err(`locara: ${error.message}\n`);
    return EXIT.no;
  } finally {
    await session?.close();
    prompter?.close();
  }
}
