import { crash } from "locara:test";
let r = "contained";
try {
  await crash();
} catch (e) {
  let c = e;
  for (let i = 0; i < 5 && c; i++) {
    if (/secret host detail/.test(String(c.message))) r = "ESCAPED: host error text";
    c = c.cause;
  }
}
export default r;
