import { echo } from "locara:test";
const ps = [];
for (let i = 0; i < 10000; i++) ps.push(echo(i).catch(() => 0));
await Promise.all(ps);
export default "contained";
