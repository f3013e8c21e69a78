import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { InvalidInputError } from "../errors.ts";
import { parseGrants } from "../policy/inputs.ts";
import type { Grant } from "../policy/types.ts";

/**
 * An app's remembered answers as an inspectable JSON file (until the store holds them). Written
 * atomically (a temporary file renamed over the old one), so a crash never leaves half a file,
 * and readable only by the host's user.
 */
export async function loadGrants(path: string): Promise<Grant[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new InvalidInputError(
      path,
      `cannot read the grants file (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(
      path,
      `the grants file is not valid JSON: ${(error as Error).message}: fix or delete it`,
    );
  }
  return parseGrants(data, path);
}

export async function saveGrants(path: string, grants: readonly Grant[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(grants, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}
