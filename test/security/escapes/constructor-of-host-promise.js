import { echo } from "locara:test";
const p = echo(1);
const F = p.constructor.constructor;
await p;
const g = F("return this")();
export default typeof g.process !== "undefined" ? "ESCAPED" : "contained";
