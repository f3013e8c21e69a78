// Every value the web globals hand out is a guest value: its constructor chain ends at the guest's Function.
const values = [
  new URL("http://h/"), new URL("http://h/").searchParams, new TextEncoder().encode("x"),
  new TextDecoder(), new Headers(), new Request("http://h/"), new Response("x"), await new Response("x").arrayBuffer(),
];
let escaped = false;
for (const v of values) {
  const g = v.constructor.constructor("return this")();
  if (g.process || g.require || typeof g.__locara_web !== "undefined") escaped = true;
}
export default escaped ? "ESCAPED" : "contained";
