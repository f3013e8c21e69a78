import { echo } from "locara:test";
const r = await echo({});
const g = r.constructor.constructor("return this")();
export default g.require ? "ESCAPED: require" : "contained";
