const r = "contained";
try {
  await import("/etc/passwd");
} catch {}
try {
  await import("file:///etc/passwd");
} catch {}
try {
  await import("../../../../etc/passwd");
} catch {}
export default r;
