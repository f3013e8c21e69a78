const s = Function.prototype.toString.call(globalThis.__locara_host);
export default /work|node_modules|this\.#/.test(s) ? "ESCAPED: host source " + s : "contained";
