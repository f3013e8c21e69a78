JSON.parse = () => ({ pwned: "yes" });
JSON.stringify = () => '["/etc/passwd"]';
import { echo } from "locara:test";
let r;
try {
  r = await echo("safe");
} catch (e) {
  r = e.message;
}
export default "contained";
