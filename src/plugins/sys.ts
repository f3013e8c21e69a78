import os from "node:os";
import { InvalidResourceError } from "../errors.ts";
import { SYS_NAMES } from "../manifest/kinds.ts";
import type { HostModule } from "../sandbox/host-calls.ts";
import { guarded, type PluginContext } from "./context.ts";

type SysName = (typeof SYS_NAMES)[number];

/** Each kind of system information, as plain data. */
const READERS: Readonly<Record<SysName, () => unknown>> = {
  hostname: () => os.hostname(),
  osRelease: () => os.release(),
  uptime: () => os.uptime(),
  loadavg: () => os.loadavg(),
  memory: () => ({ total: os.totalmem(), free: os.freemem() }),
  cpus: () => os.cpus().map((c) => ({ model: c.model, speed: c.speed })),
  networkInterfaces: () =>
    Object.fromEntries(
      Object.entries(os.networkInterfaces()).map(([name, list]) => [
        name,
        (list ?? []).map((i) => ({
          address: i.address,
          family: i.family,
          internal: i.internal,
          cidr: i.cidr,
        })),
      ]),
    ),
  uid: () => os.userInfo().uid,
  gid: () => os.userInfo().gid,
};

/** `locara:sys`: system information, one granted kind at a time. */
export function sysModule(ctx: PluginContext): HostModule {
  return {
    name: "locara:sys",
    functions: {
      get([name]) {
        if (typeof name !== "string" || !Object.hasOwn(READERS, name)) {
          throw new InvalidResourceError("sys", name, `use one of ${SYS_NAMES.join(", ")}`);
        }
        return guarded(ctx, "locara:sys.get", { kind: "sys", resource: name }, READERS[name as SysName]);
      },
    },
  };
}
