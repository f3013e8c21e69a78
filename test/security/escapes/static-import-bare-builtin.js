import fs from "fs";
export default "ESCAPED: imported fs";
