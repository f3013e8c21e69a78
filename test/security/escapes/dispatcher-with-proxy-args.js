let r = "contained";
try {
  await globalThis.__locara_host(new Proxy({}, {}), "echo", "[]");
} catch (e) {
  if (e.name !== "TypeError") r = "unexpected " + e.name;
}
export default r;
