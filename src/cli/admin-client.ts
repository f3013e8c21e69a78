import { userInfo } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { type ErrorCode, LocaraError, NoServerError } from "../errors.ts";
import { locaraHome } from "../host/locara-home.ts";

/** The admin socket of the host that runs with this Locara home. */
export const adminSocket = (env: Readonly<Record<string, string | undefined>> = process.env) =>
  join(locaraHome(env), "admin.sock");

/** An error the host answered with: its code, message and data, as the host raised them. */
export class RemoteError extends LocaraError {}

/**
 * Call the host's admin API over its Unix socket. Whoever can open the socket is an admin; the
 * user name sent along is only recorded in the audit log.
 */
export async function adminCall<T>(
  method: "GET" | "POST",
  path: string,
  body?: unknown,
  socket: string = adminSocket(),
): Promise<T> {
  const dispatcher = new Agent({ connect: { socketPath: socket } });
  try {
    const response = await request(`http://locara${path}`, {
      method,
      dispatcher,
      headers: { "content-type": "application/json", "x-locara-user": safeUser() },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).catch((error: NodeJS.ErrnoException) => {
      throw new NoServerError(socket, error.code ?? error.message);
    });
    const payload = (await response.body.json().catch(() => ({}))) as {
      error?: { code: string; message: string; data?: object };
    };
    if (response.statusCode >= 400) {
      const e = payload.error;
      if (e?.code?.startsWith("LOCARA_E_") && e.code !== ("LOCARA_E_INTERNAL" as string)) {
        throw new RemoteError(e.code as ErrorCode, e.message, (e.data ?? {}) as Record<string, unknown>);
      }
      throw new Error(e?.message ?? `the host answered ${response.statusCode}`);
    }
    return payload as T;
  } finally {
    await dispatcher.close();
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "admin";
  }
}
