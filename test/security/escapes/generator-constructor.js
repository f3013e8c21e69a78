const GF = function* () {}.constructor;
const g = GF("yield this")().next().value;
export default g.process ? "ESCAPED" : "contained";
