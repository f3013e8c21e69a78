import { echo } from "locara:test";
await echo(JSON.parse('{"__proto__": {"pwned": "yes"}}'), { constructor: { prototype: { pwned: "yes" } } });
export default "contained";
