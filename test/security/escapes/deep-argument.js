import { echo } from "locara:test";
let o = {};
const root = o;
for (let i = 0; i < 5000; i++) {
  o.a = {};
  o = o.a;
}
const r = "contained";
try {
  await echo(root);
} catch (e) {}
export default r;
