import type { Limits } from "../manifest/types.ts";

/** What one request or job of an installation may use. */
export interface SandboxLimits {
  /** Memory of the installation's engine, in MiB (the QuickJS build itself needs 16 MiB). */
  readonly memoryMb: number;
  /** Time spent running guest code per request, in ms. */
  readonly cpuMsPerRequest: number;
  /** Wall-clock time per request, in ms, including time waiting for host calls. */
  readonly wallMsPerRequest: number;
  /** Guest stack, in KiB. Kept well below the host's own stack so that QuickJS refuses first. */
  readonly stackKb: number;
}

export const STACK_KB_DEFAULT = 128;

export function sandboxLimits(limits: Limits, overrides: Partial<SandboxLimits> = {}): SandboxLimits {
  return {
    memoryMb: limits.memoryMb,
    cpuMsPerRequest: limits.cpuMsPerRequest,
    wallMsPerRequest: limits.wallMsPerRequest,
    stackKb: STACK_KB_DEFAULT,
    ...overrides,
  };
}
