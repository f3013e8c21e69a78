let r = "contained";
for (const fn of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
  try {
    await globalThis.__locara_host("locara:test", fn, "[]");
    r = "ESCAPED: called " + fn;
  } catch {}
}
export default r;
