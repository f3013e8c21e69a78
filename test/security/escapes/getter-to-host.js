import { echo } from "locara:test";
let reads = 0;
const o = {
  get x() {
    reads++;
    return reads;
  },
};
await echo(o);
export default reads > 1 ? "ESCAPED: host re-read a getter" : "contained";
