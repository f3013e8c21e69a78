import { echo } from "locara:test";
let traps = 0;
const p = new Proxy(
  { a: 1 },
  {
    get(t, k) {
      traps++;
      return t[k];
    },
    ownKeys(t) {
      traps++;
      return Reflect.ownKeys(t);
    },
  },
);
const before = traps;
await echo(p);
const during = traps - before;
await new Promise((r) => r());
export default traps - before > during ? "ESCAPED: host touched the proxy later" : "contained";
