import { echo } from "locara:test";
const r = "contained";
try {
  await echo("x".repeat(4 * 1024 * 1024));
} catch (e) {}
export default r;
