const g = Function("return this")();
export default ["process", "require", "Buffer", "global", "module", "__dirname"].some((k) => k in g)
  ? "ESCAPED: node globals"
  : "contained";
