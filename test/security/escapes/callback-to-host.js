import { echo } from "locara:test";
let called = false;
await echo(
  () => {
    called = true;
  },
  {
    toJSON() {
      return () => {
        called = true;
      };
    },
  },
);
export default called ? "ESCAPED: host called guest callback" : "contained";
