import { request as httpRequest } from "node:http";
import { userInfo } from "node:os";
import { join } from "node:path";
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
  // node:http rather than a client library: a command's start-up time is most of its run time.
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      {
        socketPath: socket,
        path,
        method,
        headers: {
          "content-type": "application/json",
          "x-locara-user": safeUser(),
          ...(payload === undefined ? {} : { "content-length": Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 500, text }));
        res.on("error", reject);
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) =>
      reject(new NoServerError(socket, error.code ?? error.message)),
    );
    req.end(payload);
  });
  let parsed: { error?: { code: string; message: string; data?: object } } = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: reported below by status
  }
  if (status >= 400) {
    const e = parsed.error;
    if (e?.code?.startsWith("LOCARA_E_") && e.code !== "LOCARA_E_INTERNAL") {
      throw new RemoteError(e.code as ErrorCode, e.message, (e.data ?? {}) as Record<string, unknown>);
    }
    throw new Error(e?.message ?? `the host answered ${status}`);
  }
  return parsed as T;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "admin";
  }
}
