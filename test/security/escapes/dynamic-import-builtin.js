let r = "contained";
try {
  const m = await import("node:fs");
  r = "ESCAPED: " + Object.keys(m);
} catch {}
export default r;
