import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { LocaraError } from "../errors.ts";
import { CAPABILITY_KINDS } from "./kinds.ts";
import { parseManifest } from "./parse.ts";

/** The parser's contract: a manifest, or a LocaraError with code LOCARA_E_MANIFEST. Nothing else. */
function parsesOrRefuses(text: string, file: string): void {
  try {
    const m = parseManifest(text, { file });
    expect(Object.isFrozen(m)).toBe(true);
  } catch (error) {
    if (!(error instanceof LocaraError)) throw error;
    expect(error.code).toBe("LOCARA_E_MANIFEST");
  }
}

const scalar = fc.oneof(
  fc.string(),
  fc.constantFrom(
    "*",
    "**",
    "~",
    "/",
    "..",
    "http://*",
    "[::1]",
    "0x7f.1",
    "du -sh",
    "\\*",
    "a.b.c",
    "true",
    "null",
  ),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    scalar,
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie("v"), { maxKeys: 4 }),
  ),
})).v;

const entry = fc.oneof(
  scalar,
  fc.record({ path: scalar, reason: scalar }, { requiredKeys: [] }),
  fc.record({ host: scalar }, { requiredKeys: [] }),
  fc.record({ command: scalar, args: fc.array(scalar, { maxLength: 4 }) }, { requiredKeys: [] }),
  value,
);
const manifestLike = fc.record(
  {
    name: fc.oneof(fc.constant("app"), scalar),
    version: fc.oneof(fc.constant("1.0.0"), scalar),
    entry: fc.oneof(fc.constant("a.ts"), scalar),
    permissions: fc.oneof(
      fc.dictionary(
        fc.oneof(fc.constantFrom(...CAPABILITY_KINDS, "deny"), fc.string()),
        fc.oneof(fc.array(entry, { maxLength: 4 }), entry),
        {
          maxKeys: 5,
        },
      ),
      value,
    ),
    routes: fc.oneof(
      fc.array(
        fc.record({ path: scalar, access: scalar, keys: value, strict: scalar }, { requiredKeys: [] }),
      ),
      value,
    ),
    limits: fc.oneof(fc.dictionary(fc.constantFrom("memoryMb", "cpuMsPerRequest", "x"), scalar), value),
    extra: value,
  },
  { requiredKeys: [] },
);

describe("parser fuzzing: it returns a manifest or throws LOCARA_E_MANIFEST, never anything else", () => {
  it("on arbitrary text, as YAML and as JSON", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => {
        parsesOrRefuses(text, "locara.yaml");
        parsesOrRefuses(text, "locara.json");
      }),
      { numRuns: 1500 },
    );
  });

  it("on YAML-looking text made of YAML's own punctuation", () => {
    const token = fc.constantFrom(
      "name:",
      " ",
      "\n",
      "- ",
      "  ",
      "[",
      "]",
      "{",
      "}",
      ",",
      ":",
      "&a",
      "*a",
      "!!str",
      "!tag",
      "? ",
      "|",
      ">",
      "#",
      '"',
      "'",
      "---",
      "...",
      "%YAML 1.2",
      "<<: ",
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), (parts) =>
        parsesOrRefuses(parts.join(""), "locara.yaml"),
      ),
      { numRuns: 1500 },
    );
  });

  it("on manifest-shaped data serialised as YAML and as JSON", () => {
    fc.assert(
      fc.property(manifestLike, (data) => {
        parsesOrRefuses(stringify(data), "locara.yaml");
        parsesOrRefuses(JSON.stringify(data), "locara.json");
      }),
      { numRuns: 2000 },
    );
  });
});
