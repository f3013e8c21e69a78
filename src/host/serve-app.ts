import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { IoError, LocaraError } from "../errors.ts";
import { FetchService } from "../sandbox/fetch-handler.ts";
import type { AppSession } from "./app-session.ts";
import { guestRequest, plain, REQUEST_BODY_LIMIT, readBody, writeResponse } from "./http-bridge.ts";

export interface ServingApp {
  /** Where the app answers, e.g. `http://127.0.0.1:8000/`. */
  readonly url: string;
  /** Stop accepting requests, finish the one in progress, free the sandbox. */
  close(): Promise<void>;
}

/**
 * Serve an app's `fetch(request)` handler on a loopback port (`locara run` for a web app).
 * Invariant: the listener binds 127.0.0.1 only; requests reach the sandbox one at a time, and a
 * failure inside the app or a limit it hits becomes a 500 for that request (reported on the
 * terminal), never the end of the server.
 */
export async function serveApp(session: AppSession, port: number): Promise<ServingApp> {
  const service = new FetchService(
    session.slot,
    session.code,
    session.modules,
    session.output,
    session.extras,
  );
  const report = (text: string) => session.output.write("stderr", `locara: ${text}\n`);
  const server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      if (body === "too large") {
        plain(res, 413, `request body larger than ${REQUEST_BODY_LIMIT} bytes\n`);
        return;
      }
      const address = server.address() as AddressInfo;
      const request = guestRequest(
        req,
        new URL(req.url ?? "/", `http://127.0.0.1:${address.port}`).href,
        body,
      );
      const outcome = await service.handle(request);
      if (!outcome.ok) {
        report(
          `app ${session.app} failed on ${request.method} ${req.url}: ${outcome.error.name}: ${outcome.error.message}`,
        );
        plain(res, 500, "Internal Server Error\n");
        return;
      }
      writeResponse(res, outcome.response, request.method);
    } catch (error) {
      report(error instanceof LocaraError ? error.message : `internal error: ${String(error)}`);
      plain(res, 500, "Internal Server Error\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new IoError(
          session.app,
          "listen on",
          `127.0.0.1:${port}`,
          error.code ?? "error",
          error.code === "EADDRINUSE"
            ? "the port is in use: stop what holds it, or pass --port with another port (0 picks a free one)"
            : `${error.message}: pass --port with another port`,
        ),
      ),
    );
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}/`,
    close: async () => {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await service.close();
    },
  };
}
