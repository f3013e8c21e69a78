const r = "contained";
if (typeof SharedArrayBuffer !== "undefined" && typeof Atomics !== "undefined" && Atomics.wait) {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  } catch {}
}
export default r;
