export default import.meta &&
Object.keys(import.meta).some(
  (k) => /resolve|url|dirname/.test(k) && String(import.meta[k]).includes("/work/"),
)
  ? "ESCAPED"
  : "contained";
