import { deny } from "locara:test";
let g;
try {
  await deny();
} catch (e) {
  g = e.constructor.constructor("return this")();
}
export default g && (g.process || g.require || g.Buffer) ? "ESCAPED" : "contained";
