// Hand the dispatcher things that are not ArrayBuffers where bytes go, and byte references that
// point at nothing: each must be a guest error, and the bridge must keep working afterwards.
const dispatch = globalThis.__locara_host;
const outcomes = [];
for (const extra of [{}, "text", 42, new Uint8Array(4), null, new Proxy({}, {})]) {
  try {
    await dispatch("locara:test", "echo", JSON.stringify([{ __bytes: 0 }]), extra);
    outcomes.push("accepted");
  } catch (e) {
    outcomes.push(e.name);
  }
}
try {
  await dispatch("locara:test", "echo", JSON.stringify([{ __bytes: 7 }]), new ArrayBuffer(2));
  outcomes.push("accepted");
} catch (e) {
  outcomes.push(e.name);
}
const after = await dispatch("locara:test", "echo", JSON.stringify(["still fine"]));
const ok = outcomes.every((o) => o === "TypeError") && after === '["still fine"]';
export default ok ? "contained" : `ESCAPED: ${JSON.stringify(outcomes)} ${after}`;
