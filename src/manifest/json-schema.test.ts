import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { manifestJsonSchema } from "./json-schema.ts";

const committed = new URL("../../schema/locara.schema.json", import.meta.url);

describe("the published JSON Schema", () => {
  it("is current with the zod schema (run `npm run schema` after changing the manifest format)", () => {
    const onDisk = JSON.parse(readFileSync(committed, "utf8"));
    expect(onDisk).toEqual(manifestJsonSchema());
  });

  it("is strict and describes every capability kind, so editors can complete and flag manifests", () => {
    const schema = manifestJsonSchema() as {
      additionalProperties: boolean;
      required: string[];
      properties: { permissions: { properties: Record<string, unknown>; additionalProperties: boolean } };
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(["name", "version", "entry"]);
    const perms = schema.properties.permissions;
    expect(perms.additionalProperties).toBe(false);
    expect(Object.keys(perms.properties)).toEqual(
      expect.arrayContaining(["fs.read", "net", "run", "env", "deny", "db.create"]),
    );
    expect(JSON.stringify(perms.properties.net)).toContain("host");
  });
});
