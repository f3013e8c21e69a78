import type { IncomingMessage, ServerResponse } from "node:http";
import { type GuestRequest, type GuestResponse, RESPONSE_LIMITS } from "../sandbox/fetch-handler.ts";

/** Largest request body passed to an app. */
export const REQUEST_BODY_LIMIT = RESPONSE_LIMITS.bodyBytes;

/** The whole request body, or "too large" as soon as it passes the limit. */
export async function readBody(req: IncomingMessage): Promise<Uint8Array | "too large"> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > REQUEST_BODY_LIMIT) return "too large";
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A request as an app's fetch handler sees it, at `url` (the mount prefix already stripped). */
export function guestRequest(req: IncomingMessage, url: string, body: Uint8Array): GuestRequest {
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
    headers.push([req.rawHeaders[i]!.toLowerCase(), req.rawHeaders[i + 1]!]);
  return { method: req.method ?? "GET", url, headers, body: body.length > 0 ? body : null };
}

export function plain(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Write what an app answered (the host already checked its status, headers and size). */
export function writeResponse(res: ServerResponse, response: GuestResponse, method: string): void {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of response.headers) grouped.set(name, [...(grouped.get(name) ?? []), value]);
  grouped.delete("content-length");
  grouped.delete("transfer-encoding");
  for (const [name, values] of grouped) res.setHeader(name, values.length === 1 ? values[0]! : values);
  res.setHeader("content-length", response.body.length);
  res.writeHead(response.status, response.statusText || undefined);
  res.end(method === "HEAD" ? undefined : response.body);
}
