const F = globalThis.__locara_host.constructor;
const g = F('return typeof process !== "undefined" ? process : null')();
export default g ? "ESCAPED: process via dispatcher constructor" : "contained";
