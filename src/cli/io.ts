import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { InvalidInputError, LocaraError } from "../errors.ts";

/** Where a command writes. Injected so tests run commands in-process and read what they print. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, no: 1, badInput: 2 } as const;

/** Read a JSON (or, by extension, YAML) data file, with errors that name the file. */
export async function readDataFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new InvalidInputError(
      path,
      `cannot read the ${what} file (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  try {
    return /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(
      path,
      `the ${what} file is not valid ${/\.ya?ml$/i.test(path) ? "YAML" : "JSON"}: ${(error as Error).message}`,
    );
  }
}

/** Print an error the way the command's output mode asks for; returns the exit code. */
export function reportError(io: Io, error: unknown, json: boolean): number {
  if (error instanceof LocaraError) {
    if (json) io.out(`${JSON.stringify({ error: error.toJSON() })}\n`);
    else io.err(`locara: ${error.message}\n`);
    return EXIT.badInput;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) io.out(`${JSON.stringify({ error: { message } })}\n`);
  else io.err(`locara: internal error: ${message}\n`);
  return 70;
}
