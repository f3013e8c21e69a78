import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The bin and the package exports run from dist/: build it from the current sources first. */
export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "tsconfig.build.json"], {
    cwd: root,
    stdio: "inherit",
  });
}
