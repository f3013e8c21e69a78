Error.prepareStackTrace = (e, frames) => frames.map((f) => f.getThis && f.getThis());
let leaked;
try {
  null.x;
} catch (e) {
  leaked = e.stack;
}
export default Array.isArray(leaked) && leaked.some((t) => t && t.process) ? "ESCAPED" : "contained";
