export default typeof std !== "undefined" || typeof os !== "undefined" || typeof scriptArgs !== "undefined"
  ? "ESCAPED: quickjs std/os"
  : "contained";
