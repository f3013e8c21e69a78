import { homedir } from "node:os";
import { join } from "node:path";
import { LimitError, SandboxCrashError } from "../errors.ts";
import { canPrompt, terminalPrompter } from "../host/prompt.ts";
import { runApp } from "../host/run-app.ts";
import { EXIT, type Io } from "./io.ts";

export interface RunCommandOptions {
  readonly approve: string;
  /** False with --no-prompt. */
  readonly prompt: boolean;
  readonly manifest?: string;
  readonly json: boolean;
}

/** `locara run`: exit 0 when main(args) returned, 1 when the app failed or hit a limit, 2 for bad input. */
export async function runCommand(
  io: Io,
  target: string,
  args: readonly string[],
  options: RunCommandOptions,
): Promise<number> {
  const approve = options.approve === "all" || options.approve === "none" ? options.approve : "ask";
  const prompter = options.prompt && canPrompt() ? terminalPrompter() : undefined;
  try {
    const { app, result } = await runApp({
      target,
      approve,
      args,
      home: homedir(),
      locaraHome: process.env.LOCARA_HOME ?? join(homedir(), ".locara"),
      environment: process.env,
      ...(prompter === undefined ? {} : { prompt: prompter }),
      output: { write: (stream, text) => (stream === "stdout" ? io.out(text) : io.err(text)) },
      ...(options.manifest === undefined ? {} : { manifest: options.manifest }),
    });
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
    prompter?.close();
  }
}
