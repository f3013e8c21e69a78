// Headers must refuse a value that would split the HTTP response when the host writes it.
const attempts = ["a\r\nSet-Cookie: session=stolen", "a\nb", "a\rb", "a\u0000b"];
const accepted = [];
for (const v of attempts) {
  try { new Response("x", { headers: { "x-note": v } }); accepted.push(JSON.stringify(v)); } catch {}
  try { const h = new Headers(); h.set("x-note", v); accepted.push(JSON.stringify(v)); } catch {}
}
export default accepted.length ? `ESCAPED: ${accepted}` : "contained";
