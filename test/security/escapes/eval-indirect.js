const g = (0, eval)("this");
export default g.process ? "ESCAPED" : "contained";
