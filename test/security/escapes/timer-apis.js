export default ["setTimeout", "setInterval", "setImmediate", "queueMicrotask"].filter(
  (k) =>
    typeof globalThis[k] === "function" && String(globalThis[k]).includes("native") && k !== "queueMicrotask",
).length > 0 && typeof process !== "undefined"
  ? "ESCAPED"
  : "contained";
