import { z } from "zod";
import { manifestSchema } from "./schema.ts";

export const SCHEMA_ID = "https://locara.dev/schema/locara.schema.json";

/** The manifest's JSON Schema (draft 2020-12), generated from the zod schema that validates it. */
export function manifestJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(manifestSchema, { io: "input", target: "draft-2020-12" });
  return { ...schema, $id: SCHEMA_ID, title: "Locara app manifest" };
}
