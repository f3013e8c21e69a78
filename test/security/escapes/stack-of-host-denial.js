import { deny } from "locara:test";
let s = "";
try {
  await deny("/etc/passwd");
} catch (e) {
  s = String(e.stack);
}
export default /node_modules|\/work\/|\.ts:|node:internal/.test(s) ? "ESCAPED: host stack " + s : "contained";
