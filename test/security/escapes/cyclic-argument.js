import { echo } from "locara:test";
const a = {};
a.self = a;
let r = "contained";
try {
  await echo(a);
} catch (e) {
  r = e.name === "TypeError" ? "contained" : "unexpected " + e.name;
}
export default r;
