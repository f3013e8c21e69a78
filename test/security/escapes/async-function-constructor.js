const AF = (async () => {}).constructor;
const g = await AF("return this")();
export default g.process ? "ESCAPED" : "contained";
