Object.prototype.pwned = "yes";
Array.prototype.pwned = "yes";
JSON.pwned = "yes";
export default "contained";
