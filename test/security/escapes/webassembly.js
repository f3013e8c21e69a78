export default typeof WebAssembly !== "undefined" ? "ESCAPED: WebAssembly available" : "contained";
