import cp from "node:child_process";
export default "ESCAPED: imported child_process";
