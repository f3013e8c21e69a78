// Writes schema/locara.schema.json from the zod schema that validates manifests (npm run schema).
import { writeFileSync } from "node:fs";
import { manifestJsonSchema } from "../src/manifest/json-schema.ts";

const target = new URL("../schema/locara.schema.json", import.meta.url);
writeFileSync(target, `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
