import type { UrlEncodingGlobals } from "./url-encoding.ts";

/**
 * Guest code: Headers, Request and Response, enough of the Fetch standard for a web-standard
 * `fetch(request)` handler (Hono and the like) to run unchanged. Evaluated inside the sandbox
 * with what guestUrlEncoding made, so it must not refer to anything outside itself. Bodies are whole byte arrays (no streams): `body` is a Uint8Array or
 * null. Nothing here is trusted by the host: what a handler returns is checked again there.
 */
export function guestFetchTypes(web: UrlEncodingGlobals): {
  Headers: unknown;
  Request: unknown;
  Response: unknown;
} {
  const encoder = new web.TextEncoder();
  const decoder = new web.TextDecoder();
  const SafeURL = web.URL;
  const SafeParams = web.URLSearchParams;
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const GUARD = Symbol("guard");

  const headerName = (name: unknown): string => {
    const n = String(name);
    if (!TOKEN.test(n)) throw new TypeError(`Headers: ${JSON.stringify(n)} is not a valid header name`);
    return n.toLowerCase();
  };
  const headerValue = (value: unknown): string => {
    const v = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
    if (/[\0\r\n]/.test(v))
      throw new TypeError(`Headers: the value of a header may not contain NUL, CR or LF`);
    return v;
  };

  class Headers {
    /** name → values, in insertion order of names; iteration sorts. */
    #map = new Map<string, string[]>();
    [GUARD] = "none";
    constructor(init?: unknown) {
      if (init === undefined || init === null) return;
      if (init instanceof Headers) {
        for (const [name, values] of init.#map) this.#map.set(name, [...values]);
      } else if (typeof (init as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function") {
        for (const pair of init as Iterable<Iterable<unknown>>) {
          const items = [...pair];
          if (items.length !== 2) throw new TypeError("Headers: each header needs a name and a value");
          this.append(items[0], items[1]);
        }
      } else if (typeof init === "object") {
        for (const key of Object.keys(init)) this.append(key, (init as Record<string, unknown>)[key]);
      } else throw new TypeError("Headers: give an object, a list of pairs or Headers");
    }
    #check(): void {
      if (this[GUARD] === "immutable") throw new TypeError("Headers: these headers are immutable");
    }
    append(name: unknown, value: unknown): void {
      this.#check();
      const n = headerName(name);
      const v = headerValue(value);
      const values = this.#map.get(n);
      if (values) values.push(v);
      else this.#map.set(n, [v]);
    }
    set(name: unknown, value: unknown): void {
      this.#check();
      this.#map.set(headerName(name), [headerValue(value)]);
    }
    delete(name: unknown): void {
      this.#check();
      this.#map.delete(headerName(name));
    }
    get(name: unknown): string | null {
      return this.#map.get(headerName(name))?.join(", ") ?? null;
    }
    has(name: unknown): boolean {
      return this.#map.has(headerName(name));
    }
    getSetCookie(): string[] {
      return [...(this.#map.get("set-cookie") ?? [])];
    }
    *entries(): IterableIterator<[string, string]> {
      for (const name of [...this.#map.keys()].sort()) {
        const values = this.#map.get(name) ?? [];
        if (name === "set-cookie") for (const v of values) yield [name, v];
        else yield [name, values.join(", ")];
      }
    }
    *keys(): IterableIterator<string> {
      for (const [name] of this.entries()) yield name;
    }
    *values(): IterableIterator<string> {
      for (const [, value] of this.entries()) yield value;
    }
    forEach(callback: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
      for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
    }
    [Symbol.iterator](): IterableIterator<[string, string]> {
      return this.entries();
    }
  }

  /** A body as bytes, and the content type it implies. */
  const toBytes = (body: unknown): { bytes: Uint8Array | null; type: string | null } => {
    if (body === undefined || body === null) return { bytes: null, type: null };
    if (typeof body === "string") return { bytes: encoder.encode(body), type: "text/plain;charset=UTF-8" };
    if (body instanceof SafeParams) {
      return {
        bytes: encoder.encode(body.toString()),
        type: "application/x-www-form-urlencoded;charset=UTF-8",
      };
    }
    if (body instanceof ArrayBuffer) return { bytes: new Uint8Array(body.slice(0)), type: null };
    if (ArrayBuffer.isView(body)) {
      const view = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
      return { bytes: view.slice(), type: null };
    }
    if (typeof body === "object" && typeof (body as { getReader?: unknown }).getReader === "function") {
      throw new TypeError("streamed bodies are not supported in the sandbox: give a string or bytes");
    }
    return { bytes: encoder.encode(String(body)), type: "text/plain;charset=UTF-8" };
  };

  class Body {
    #bytes: Uint8Array | null;
    #used = false;
    readonly #headers: Headers;
    constructor(body: unknown, headers: Headers) {
      const { bytes, type } = toBytes(body);
      this.#bytes = bytes;
      this.#headers = headers;
      if (type !== null && !headers.has("content-type")) headers.set("content-type", type);
    }
    get headers(): Headers {
      return this.#headers;
    }
    /** The whole body as bytes (not a stream), or null. */
    get body(): Uint8Array | null {
      return this.#bytes === null ? null : this.#bytes.slice();
    }
    get bodyUsed(): boolean {
      return this.#used;
    }
    #consume(): Uint8Array {
      if (this.#used) throw new TypeError("the body has already been read");
      this.#used = true;
      return this.#bytes ?? new Uint8Array(0);
    }
    async arrayBuffer(): Promise<ArrayBuffer> {
      const bytes = this.#consume();
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    }
    async bytes(): Promise<Uint8Array> {
      return this.#consume().slice();
    }
    async text(): Promise<string> {
      return decoder.decode(this.#consume());
    }
    async json(): Promise<unknown> {
      return JSON.parse(await this.text());
    }
    async formData(): Promise<never> {
      throw new TypeError(
        "formData() is not supported in the sandbox: read text() and parse it with URLSearchParams",
      );
    }
    async blob(): Promise<never> {
      throw new TypeError("blob() is not supported in the sandbox: use arrayBuffer() or bytes()");
    }
  }

  const METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"];

  class Request extends Body {
    readonly #url: string;
    readonly #method: string;
    constructor(input: unknown, init: Record<string, unknown> = {}) {
      const from = input instanceof Request ? input : undefined;
      const url = from ? from.url : new SafeURL(String(input)).href;
      let method = init.method === undefined ? (from?.method ?? "GET") : String(init.method);
      if (!TOKEN.test(method))
        throw new TypeError(`Request: ${JSON.stringify(method)} is not a valid method`);
      if (METHODS.includes(method.toUpperCase())) method = method.toUpperCase();
      if (["CONNECT", "TRACE", "TRACK"].includes(method.toUpperCase())) {
        throw new TypeError(`Request: the method ${method} is forbidden`);
      }
      const body = init.body !== undefined ? init.body : from ? from.body : null;
      if ((method === "GET" || method === "HEAD") && body !== null && body !== undefined) {
        throw new TypeError("Request: a GET or HEAD request cannot have a body");
      }
      super(body, new Headers(init.headers ?? from?.headers));
      this.#url = url;
      this.#method = method;
    }
    get url(): string {
      return this.#url;
    }
    get method(): string {
      return this.#method;
    }
    get redirect(): string {
      return "follow";
    }
    clone(): Request {
      if (this.bodyUsed) throw new TypeError("Request.clone: the body has already been read");
      return new Request(this);
    }
  }

  const NULL_BODY = [101, 103, 204, 205, 304];
  const REDIRECT = [301, 302, 303, 307, 308];

  class Response extends Body {
    readonly #status: number;
    readonly #statusText: string;
    readonly #type: string;
    constructor(
      body: unknown = null,
      init: { status?: unknown; statusText?: unknown; headers?: unknown } = {},
    ) {
      const status = init.status === undefined ? 200 : Number(init.status);
      if (!Number.isInteger(status) || status < 200 || status > 599) {
        throw new RangeError(`Response: status ${String(init.status)} is not between 200 and 599`);
      }
      const statusText = init.statusText === undefined ? "" : String(init.statusText);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: a reason phrase is one line of visible text
      if (/[\0-\x08\n-\x1f\x7f]/.test(statusText)) throw new TypeError("Response: invalid statusText");
      if (body !== null && body !== undefined && NULL_BODY.includes(status)) {
        throw new TypeError(`Response: a ${status} response cannot have a body`);
      }
      super(body, new Headers(init.headers));
      this.#status = status;
      this.#statusText = statusText;
      this.#type = "default";
    }
    static json(
      data: unknown,
      init: { status?: unknown; statusText?: unknown; headers?: unknown } = {},
    ): Response {
      const text = JSON.stringify(data);
      if (text === undefined) throw new TypeError("Response.json: the value cannot be written as JSON");
      const headers = new Headers(init.headers);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
      return new Response(text, { ...init, headers });
    }
    static redirect(url: unknown, status = 302): Response {
      if (!REDIRECT.includes(status))
        throw new RangeError(`Response.redirect: ${status} is not a redirect status`);
      const response = new Response(null, { status, headers: { location: new SafeURL(String(url)).href } });
      response.headers[GUARD] = "immutable";
      return response;
    }
    static error(): never {
      throw new TypeError("Response.error() is not supported in the sandbox: return a 5xx response");
    }
    get status(): number {
      return this.#status;
    }
    get statusText(): string {
      return this.#statusText;
    }
    get ok(): boolean {
      return this.#status >= 200 && this.#status <= 299;
    }
    get type(): string {
      return this.#type;
    }
    get url(): string {
      return "";
    }
    get redirected(): boolean {
      return false;
    }
    clone(): Response {
      if (this.bodyUsed) throw new TypeError("Response.clone: the body has already been read");
      return new Response(this.body, this);
    }
  }

  return { Headers, Request, Response };
}
