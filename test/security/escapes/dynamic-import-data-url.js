let r = "contained";
try {
  await import("data:text/javascript,export default globalThis.process");
  r = "ESCAPED: data url import";
} catch {}
export default r;
