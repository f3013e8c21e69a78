// QuickJS lets Object.defineProperty replace the value of a non-writable, non-configurable
// property of the global object (assignment and delete are refused). The locara:* modules captured
// the real dispatcher when they loaded, so a later swap changes nothing about what reaches the host.
import { echo } from "locara:test";

try {
  Object.defineProperty(globalThis, "__locara_host", { value: async () => JSON.stringify("hijacked") });
} catch {}
try {
  globalThis.__locara_host = async () => JSON.stringify("hijacked");
} catch {}
const result = await echo("ping");
export default JSON.stringify(result) === JSON.stringify(["ping"])
  ? "contained"
  : `ESCAPED: ${JSON.stringify(result)}`;
