import { lookup as dnsLookup } from "node:dns/promises";
import { isIP, type LookupFunction } from "node:net";
import { rootCertificates } from "node:tls";
import { Agent, request as undiciRequest } from "undici";
import { InvalidResourceError, IoError, LimitError, LocaraError } from "../errors.ts";
import { decide } from "../policy/decide.ts";
import type { HostModule } from "../sandbox/host-calls.ts";
import { guarded, type PluginContext } from "./context.ts";
import { FETCH_GUEST_SOURCE } from "./net-guest.ts";

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export interface NetOptions {
  /** Name resolution: the system resolver by default; tests give a stub with the attacker's answers. */
  readonly resolve: (hostname: string) => Promise<readonly ResolvedAddress[]>;
  readonly maxResponseBytes: number;
  readonly maxRedirects: number;
  /** Whole call, all hops, in ms. */
  readonly timeoutMs: number;
  /** Extra trusted certificate authorities (PEM), beside Node's own. */
  readonly ca?: string;
  /** Called with the exact address and port before each connection (tests refuse all but loopback). */
  readonly onConnect?: (address: string, port: number) => void;
}

export const NET_DEFAULTS: NetOptions = {
  resolve: async (hostname) =>
    (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
      address: a.address,
      family: a.family === 6 ? 6 : 4,
    })),
  maxResponseBytes: 8 * 1024 * 1024,
  maxRedirects: 5,
  timeoutMs: 30_000,
};

/** What the guest's fetch hands the host: a request reduced to plain data. */
interface WireRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: readonly [string, string][];
  readonly body: Uint8Array | null;
  readonly redirect: "follow" | "manual" | "error";
}

export interface WireResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: [string, string][];
  readonly body: Buffer;
  readonly url: string;
  readonly redirected: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers the host sets itself, or that must not follow a request to another origin. */
const HOP_HEADERS = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
  "upgrade",
]);
const CREDENTIAL_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);

function parseRequest(raw: unknown): WireRequest {
  const r = raw as Partial<WireRequest> | null;
  if (r === null || typeof r !== "object" || typeof r.url !== "string" || typeof r.method !== "string") {
    throw new InvalidResourceError("net", raw, "fetch takes a URL or a Request");
  }
  const headers = Array.isArray(r.headers) ? r.headers : [];
  if (!headers.every((h) => Array.isArray(h) && h.length === 2 && h.every((x) => typeof x === "string"))) {
    throw new InvalidResourceError("net", r.url, "headers must be name and value pairs");
  }
  const redirect = r.redirect === "manual" || r.redirect === "error" ? r.redirect : "follow";
  const body = r.body instanceof Uint8Array ? r.body : null;
  return { url: r.url, method: r.method, headers, body, redirect };
}

/**
 * Resolve the hop's host once and choose the address to connect to. Invariant: every address the
 * name resolved to is checked; if any is refused the call is refused (with that address in the
 * decision), so a mixed answer cannot slip a private address in; the connection then goes to the
 * first checked address and nowhere else (no second lookup for rebinding to exploit).
 */
async function chooseAddress(
  ctx: PluginContext,
  url: URL,
  options: NetOptions,
): Promise<ResolvedAddress | IoError | undefined> {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const literal = isIP(host);
  if (literal !== 0) return { address: host, family: literal === 6 ? 6 : 4 };
  // No lookup at all for a name the app may not reach: DNS is a channel too.
  if (decide(ctx.policy, { kind: "net", resource: url.href }, ctx.now()).state === "denied") return undefined;
  let answers: readonly ResolvedAddress[];
  try {
    answers = await options.resolve(host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "ENOTFOUND";
    return new IoError(ctx.installation, "resolve", host, code, "the name does not resolve");
  }
  if (answers.length === 0)
    return new IoError(ctx.installation, "resolve", host, "ENOTFOUND", "the name has no addresses");
  // The first answer is decided by guarded() with the call (and audited there); the others only
  // need to be looked at for one that is refused.
  for (const answer of answers.slice(1)) {
    const state = decide(
      ctx.policy,
      { kind: "net", resource: url.href, address: answer.address },
      ctx.now(),
    ).state;
    if (state === "denied") return answer; // guarded() refuses it, naming this address
  }
  return answers[0];
}

/** The whole body, refused as soon as it passes `max` bytes (announced or received). */
function readCapped(
  body: NodeJS.ReadableStream & { destroy(error?: Error): void },
  announced: string | string[] | undefined,
  max: number,
  installation: string,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new LimitError(installation, "response", `${max} bytes per response`);
    if (typeof announced === "string" && Number(announced) > max) {
      body.destroy();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    body.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        body.destroy();
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    body.on("error", reject);
    body.on("end", () => resolve(Buffer.concat(chunks, size)));
  });
}

/**
 * Connection pools, one per origin and checked address, so keep-alive connections are reused.
 * Invariant: a pool's lookup can only ever return the address it was made for, so a reused
 * connection goes where a fresh decision just allowed; a name that now resolves elsewhere gets
 * another pool. Least recently used pools beyond the limit are closed.
 */
export class AgentPool {
  readonly #limit: number;
  readonly #ca: string[] | undefined;
  readonly #agents = new Map<string, Agent>();

  constructor(limit: number, ca?: string) {
    this.#limit = limit;
    this.#ca = ca === undefined ? undefined : [...rootCertificates, ca];
  }

  for(origin: string, address: ResolvedAddress): Agent {
    const key = `${origin} ${address.address}`;
    let agent = this.#agents.get(key);
    if (agent) this.#agents.delete(key);
    else {
      agent = new Agent({
        connect: {
          ...(this.#ca ? { ca: this.#ca } : {}),
          // TLS still verifies the certificate against the URL's name (undici's server name).
          lookup: ((_host: string, opts: { all?: boolean }, done: (...args: unknown[]) => void) =>
            opts?.all
              ? done(null, [address])
              : done(null, address.address, address.family)) as unknown as LookupFunction,
        },
      });
    }
    this.#agents.set(key, agent); // most recently used last
    for (const [old, pool] of this.#agents) {
      if (this.#agents.size <= this.#limit) break;
      this.#agents.delete(old);
      void pool.close();
    }
    return agent;
  }
}

/** One hop: decided and audited on its own, connected to exactly the address that was checked. */
async function hop(
  ctx: PluginContext,
  options: NetOptions,
  agents: AgentPool,
  url: URL,
  req: { method: string; headers: [string, string][]; body: Uint8Array | null },
  signal: AbortSignal,
): Promise<{ status: number; statusText: string; headers: [string, string][]; body: Buffer }> {
  const chosen = await chooseAddress(ctx, url, options);
  const address = chosen instanceof IoError ? undefined : chosen?.address;
  const request = { kind: "net", resource: url.href, ...(address === undefined ? {} : { address }) };
  // A name that did not resolve is still decided and audited: the failure is the operation's.
  return guarded(ctx, "locara:net.fetch", request, async () => {
    if (chosen instanceof IoError) throw chosen;
    if (!chosen) throw new LocaraError("LOCARA_E_DENIED", "no address was checked", {}); // unreachable: a denial
    if (url.username !== "" || url.password !== "") {
      throw new InvalidResourceError(
        "net",
        url.href,
        "a URL with credentials in it is refused: send them in a header",
      );
    }
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    options.onConnect?.(chosen.address, port);
    const agent = agents.for(url.origin, chosen);
    try {
      const response = await undiciRequest(url, {
        method: req.method as "GET",
        headers: req.headers.filter(([name]) => !HOP_HEADERS.has(name.toLowerCase())).flat(),
        body: req.body === null ? null : Buffer.from(req.body),
        dispatcher: agent,
        signal,
      });
      const headers: [string, string][] = [];
      for (const [name, value] of Object.entries(response.headers)) {
        for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) headers.push([name, v]);
      }
      const body = await readCapped(
        response.body,
        response.headers["content-length"],
        options.maxResponseBytes,
        ctx.installation,
      );
      return { status: response.statusCode, statusText: response.statusText ?? "", headers, body };
    } catch (error) {
      if (error instanceof LocaraError) throw error;
      if (signal.aborted)
        throw new LimitError(ctx.installation, "timeout", `${options.timeoutMs} ms for ${url.origin}`);
      const code = (error as { code?: string }).code ?? "error";
      throw new IoError(ctx.installation, "fetch", url.href, code, (error as Error).message);
    }
  });
}

/** The host side of fetch: every hop re-decided, redirects followed by hand, caps on size, time and hops. */
export async function hostFetch(
  ctx: PluginContext,
  options: NetOptions,
  raw: unknown,
  agents: AgentPool = new AgentPool(4, options.ca),
): Promise<WireResponse> {
  const req = parseRequest(raw);
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    throw new InvalidResourceError("net", req.url, "not a valid URL");
  }
  // One timer for the whole call, cleared when it ends (AbortSignal.timeout would keep one per
  // call alive for the full timeout).
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    return await follow(ctx, options, agents, req, url, controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function follow(
  ctx: PluginContext,
  options: NetOptions,
  agents: AgentPool,
  req: WireRequest,
  start: URL,
  signal: AbortSignal,
): Promise<WireResponse> {
  let url = start;
  let method = req.method;
  let headers = [...req.headers];
  let body = req.body;
  for (let redirects = 0; ; redirects++) {
    const answer = await hop(ctx, options, agents, url, { method, headers, body }, signal);
    const location = answer.headers.find(([name]) => name === "location")?.[1];
    if (!REDIRECTS.has(answer.status) || location === undefined || req.redirect === "manual") {
      return { ...answer, url: url.href, redirected: redirects > 0 };
    }
    if (req.redirect === "error")
      throw new InvalidResourceError("net", url.href, `redirected to ${location}, and redirect is "error"`);
    if (redirects >= options.maxRedirects) {
      throw new LimitError(
        ctx.installation,
        "redirects",
        `${options.maxRedirects} redirects from ${req.url}`,
      );
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new InvalidResourceError("net", location, "the redirect location is not a valid URL");
    }
    // As the Fetch standard: 303 (and 301/302 after a POST) become a GET without a body.
    if (
      answer.status === 303
        ? method !== "HEAD"
        : (answer.status === 301 || answer.status === 302) && method === "POST"
    ) {
      method = "GET";
      body = null;
      headers = headers.filter(([name]) => !/^content-/i.test(name));
    }
    if (next.origin !== url.origin)
      headers = headers.filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase()));
    url = next;
  }
}

/** `locara:net`: a web-standard `fetch` whose every connection is decided, pinned and audited. */
export function netModule(ctx: PluginContext, options: NetOptions = NET_DEFAULTS): HostModule {
  const agents = new AgentPool(32, options.ca);
  return {
    name: "locara:net",
    functions: { fetch: ([request]) => hostFetch(ctx, options, request, agents) },
    guestSource: FETCH_GUEST_SOURCE,
  };
}
