// The natives behind URL and TextDecoder are captured in a closure and their global removed.
const names = Object.getOwnPropertyNames(globalThis).filter((n) => n.includes("locara_web"));
const found = names.length > 0 || typeof __locara_web !== "undefined";
export default found ? "ESCAPED: natives reachable" : "contained";
