Symbol.for("locara.host.secret");
export default typeof Symbol.for("nodejs.util.inspect.custom") === "symbol" && globalThis.process
  ? "ESCAPED"
  : "contained";
