import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LocaraError } from "../../src/errors.ts";
import { parseManifest } from "../../src/manifest/parse.ts";
import { approveAll, compilePolicy } from "../../src/policy/compile.ts";
import { decide } from "../../src/policy/decide.ts";

interface Corpus {
  readonly description: string;
  readonly manifest: Record<string, unknown>;
  readonly cases: readonly {
    name: string;
    resource: string;
    address?: string;
    state?: string;
    error?: string;
  }[];
}

/** Each corpus is data: a manifest (approved in full) and requests with the expected outcome. */
function run(file: string, kind: string): void {
  const corpus = JSON.parse(readFileSync(new URL(file, import.meta.url), "utf8")) as Corpus;
  const manifest = parseManifest(
    JSON.stringify({ name: "corpus", version: "1.0.0", entry: "a.ts", permissions: corpus.manifest }),
    {
      file: "locara.json",
    },
  );
  const policy = compilePolicy({ manifest, home: "/home/u", approvals: approveAll(manifest, "approved") });
  describe(`${file}: ${corpus.description.split(":")[0]}`, () => {
    it.each(corpus.cases)("$name", (c) => {
      const request = {
        kind,
        resource: c.resource,
        ...(c.address === undefined ? {} : { address: c.address }),
      };
      if (c.error !== undefined) {
        expect(() => decide(policy, request, 0)).toThrow(LocaraError);
        try {
          decide(policy, request, 0);
        } catch (error) {
          expect((error as LocaraError).code).toBe(c.error);
        }
        return;
      }
      expect(decide(policy, request, 0).state).toBe(c.state);
    });
  });
}

run("policy-net.json", "net");
run("policy-paths.json", "fs.read");
