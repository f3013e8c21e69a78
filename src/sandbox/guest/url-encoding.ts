/**
 * Guest code: URL, URLSearchParams, TextEncoder, TextDecoder, atob, btoa. This function is never
 * called on the host: its source text is evaluated inside the sandbox (see web-globals.ts), so it
 * must not refer to anything outside itself. Parsing and encoding are done by the host's own
 * WHATWG implementations through pure natives (no authority: strings and bytes in, strings and
 * bytes out), so the guest gets the same answers Node gives.
 */
export function guestUrlEncoding(native: WebNatives, PARTS: typeof URL_PARTS): UrlEncodingGlobals {
  type Parts = Record<(typeof URL_PARTS)[number], string>;
  /** The host's parts, one per line in PARTS order. */
  const toParts = (lines: string): Parts => {
    const values = lines.split("\n");
    const parts = {} as Parts;
    for (let i = 0; i < PARTS.length; i++) parts[PARTS[i]!] = values[i] ?? "";
    return parts;
  };
  const parse = (input: unknown, base?: unknown): Parts => {
    const lines = native.url(String(input), base === undefined ? undefined : String(base));
    if (lines === null) throw new TypeError(`Invalid URL: ${String(input)}`);
    return toParts(lines);
  };
  const LIST = Symbol("list");
  const OWNER = Symbol("owner");
  const SYNC = Symbol("sync");

  class URLSearchParams {
    [LIST]: [string, string][] = [];
    [OWNER]: URL | undefined;
    constructor(init: unknown = "") {
      if (init instanceof URLSearchParams) this[LIST] = init[LIST].map(([k, v]) => [k, v]);
      else if (init !== null && typeof init === "object") {
        const iterator = (init as { [Symbol.iterator]?: unknown })[Symbol.iterator];
        if (typeof iterator === "function") {
          for (const pair of init as Iterable<Iterable<unknown>>) {
            const items = [...pair];
            if (items.length !== 2)
              throw new TypeError("URLSearchParams: each pair needs a name and a value");
            this[LIST].push([String(items[0]), String(items[1])]);
          }
        } else {
          for (const key of Object.keys(init))
            this[LIST].push([key, String((init as Record<string, unknown>)[key])]);
        }
      } else {
        const text = String(init);
        this[LIST] = JSON.parse(native.formParse(text.startsWith("?") ? text.slice(1) : text));
      }
    }
    get size(): number {
      return this[LIST].length;
    }
    append(name: unknown, value: unknown): void {
      this[LIST].push([String(name), String(value)]);
      this[SYNC]();
    }
    delete(name: unknown, value?: unknown): void {
      const n = String(name);
      const v = value === undefined ? undefined : String(value);
      this[LIST] = this[LIST].filter(([k, x]) => k !== n || (v !== undefined && x !== v));
      this[SYNC]();
    }
    get(name: unknown): string | null {
      const n = String(name);
      return this[LIST].find(([k]) => k === n)?.[1] ?? null;
    }
    getAll(name: unknown): string[] {
      const n = String(name);
      return this[LIST].filter(([k]) => k === n).map(([, v]) => v);
    }
    has(name: unknown, value?: unknown): boolean {
      const n = String(name);
      const v = value === undefined ? undefined : String(value);
      return this[LIST].some(([k, x]) => k === n && (v === undefined || x === v));
    }
    set(name: unknown, value: unknown): void {
      const n = String(name);
      const index = this[LIST].findIndex(([k]) => k === n);
      if (index < 0) this[LIST].push([n, String(value)]);
      else {
        this[LIST][index] = [n, String(value)];
        this[LIST] = this[LIST].filter(([k], i) => k !== n || i === index);
      }
      this[SYNC]();
    }
    sort(): void {
      // Stable, by UTF-16 code units, as the standard says.
      this[LIST] = this[LIST]
        .map((pair, i) => [pair, i] as const)
        .sort(([a, i], [b, j]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : i - j))
        .map(([pair]) => pair);
      this[SYNC]();
    }
    forEach(
      callback: (value: string, name: string, params: URLSearchParams) => void,
      thisArg?: unknown,
    ): void {
      for (const [k, v] of [...this[LIST]]) callback.call(thisArg, v, k, this);
    }
    *entries(): IterableIterator<[string, string]> {
      for (const [k, v] of this[LIST]) yield [k, v];
    }
    *keys(): IterableIterator<string> {
      for (const [k] of this[LIST]) yield k;
    }
    *values(): IterableIterator<string> {
      for (const [, v] of this[LIST]) yield v;
    }
    [Symbol.iterator](): IterableIterator<[string, string]> {
      return this.entries();
    }
    toString(): string {
      return native.formStringify(JSON.stringify(this[LIST]));
    }
    /** A URL's params write their changes back into the URL's query. */
    [SYNC](): void {
      const owner = this[OWNER];
      if (owner) owner[SYNC](this.toString());
    }
  }

  class URL {
    #parts: Parts;
    /** Made on first use: most URLs never need their query parsed. */
    #params: URLSearchParams | undefined;
    constructor(input: unknown, base?: unknown) {
      this.#parts = parse(input, base);
    }
    static canParse(input: unknown, base?: unknown): boolean {
      return native.url(String(input), base === undefined ? undefined : String(base)) !== null;
    }
    static parse(input: unknown, base?: unknown): URL | null {
      return URL.canParse(input, base) ? new URL(input, base) : null;
    }
    #set(part: string, value: unknown): void {
      this.#parts = toParts(native.urlSet(this.#parts.href, part, String(value)));
      if (this.#params && (part === "href" || part === "search")) {
        this.#params[LIST] = new URLSearchParams(this.#parts.search)[LIST];
      }
    }
    [SYNC](query: string): void {
      this.#parts = toParts(native.urlSet(this.#parts.href, "search", query));
    }
    get searchParams(): URLSearchParams {
      if (!this.#params) {
        this.#params = new URLSearchParams(this.#parts.search);
        this.#params[OWNER] = this;
      }
      return this.#params;
    }
    get origin(): string {
      return this.#parts.origin;
    }
    get href(): string {
      return this.#parts.href;
    }
    set href(v: string) {
      this.#set("href", v);
    }
    get protocol(): string {
      return this.#parts.protocol;
    }
    set protocol(v: string) {
      this.#set("protocol", v);
    }
    get username(): string {
      return this.#parts.username;
    }
    set username(v: string) {
      this.#set("username", v);
    }
    get password(): string {
      return this.#parts.password;
    }
    set password(v: string) {
      this.#set("password", v);
    }
    get host(): string {
      return this.#parts.host;
    }
    set host(v: string) {
      this.#set("host", v);
    }
    get hostname(): string {
      return this.#parts.hostname;
    }
    set hostname(v: string) {
      this.#set("hostname", v);
    }
    get port(): string {
      return this.#parts.port;
    }
    set port(v: string) {
      this.#set("port", v);
    }
    get pathname(): string {
      return this.#parts.pathname;
    }
    set pathname(v: string) {
      this.#set("pathname", v);
    }
    get search(): string {
      return this.#parts.search;
    }
    set search(v: string) {
      this.#set("search", v);
    }
    get hash(): string {
      return this.#parts.hash;
    }
    set hash(v: string) {
      this.#set("hash", v);
    }
    toString(): string {
      return this.#parts.href;
    }
    toJSON(): string {
      return this.#parts.href;
    }
  }

  class TextEncoder {
    get encoding(): string {
      return "utf-8";
    }
    encode(input: unknown = ""): Uint8Array {
      let text = String(input);
      // A lone surrogate is encoded as U+FFFD, as the standard says (done here: the bridge's own
      // string conversion would turn it into more than one).
      if (/[\ud800-\udfff]/.test(text)) {
        text = text.replace(
          /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
          "\ufffd",
        );
      }
      return new Uint8Array(native.encode(text));
    }
    encodeInto(input: unknown, destination: Uint8Array): { read: number; written: number } {
      let read = 0;
      let written = 0;
      for (const ch of String(input)) {
        const bytes = this.encode(ch);
        if (written + bytes.length > destination.length) break;
        destination.set(bytes, written);
        written += bytes.length;
        read += ch.length;
      }
      return { read, written };
    }
  }

  class TextDecoder {
    readonly #fatal: boolean;
    readonly #ignoreBOM: boolean;
    constructor(label: unknown = "utf-8", options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
      const name = String(label).trim().toLowerCase();
      if (name !== "utf-8" && name !== "utf8" && name !== "unicode-1-1-utf-8") {
        throw new RangeError(
          `TextDecoder: only utf-8 is supported in the sandbox, not ${JSON.stringify(label)}`,
        );
      }
      this.#fatal = Boolean(options.fatal);
      this.#ignoreBOM = Boolean(options.ignoreBOM);
    }
    get encoding(): string {
      return "utf-8";
    }
    get fatal(): boolean {
      return this.#fatal;
    }
    get ignoreBOM(): boolean {
      return this.#ignoreBOM;
    }
    decode(input?: ArrayBuffer | ArrayBufferView): string {
      if (input === undefined) return "";
      if (input instanceof ArrayBuffer)
        return native.decode(input, 0, input.byteLength, this.#fatal, this.#ignoreBOM);
      if (ArrayBuffer.isView(input)) {
        return native.decode(
          input.buffer as ArrayBuffer,
          input.byteOffset,
          input.byteLength,
          this.#fatal,
          this.#ignoreBOM,
        );
      }
      throw new TypeError("TextDecoder.decode takes an ArrayBuffer or a view of one");
    }
  }

  return {
    URL,
    URLSearchParams,
    TextEncoder,
    TextDecoder,
    atob: (data: unknown) => native.atob(String(data)),
    btoa: (data: unknown) => native.btoa(String(data)),
  };
}

/** What guestUrlEncoding makes (the guest's own classes, typed loosely on the host side). */
export interface UrlEncodingGlobals {
  URL: new (input: unknown, base?: unknown) => { readonly href: string };
  URLSearchParams: new (init?: unknown) => { toString(): string };
  TextEncoder: new () => { encode(input?: unknown): Uint8Array };
  TextDecoder: new () => { decode(input?: ArrayBuffer | ArrayBufferView): string };
  atob(data: unknown): string;
  btoa(data: unknown): string;
}

/** The parts of a URL, in the order the host hands them to the guest (one per line). */
export const URL_PARTS = [
  "href",
  "origin",
  "protocol",
  "username",
  "password",
  "host",
  "hostname",
  "port",
  "pathname",
  "search",
  "hash",
] as const;

/** Pure host functions the guest's web globals are built on. */
export interface WebNatives {
  /** The parts of a URL, one per line in a fixed order, or null when it does not parse. */
  url(input: string, base: string | undefined): string | null;
  /** Set one part of a URL; its parts, as url() gives them. */
  urlSet(href: string, part: string, value: string): string;
  /** application/x-www-form-urlencoded: text to a JSON list of pairs, and back. */
  formParse(input: string): string;
  formStringify(pairs: string): string;
  encode(input: string): ArrayBuffer;
  decode(buffer: ArrayBuffer, offset: number, length: number, fatal: boolean, ignoreBOM: boolean): string;
  atob(input: string): string;
  btoa(input: string): string;
  /** The source text of a group of guest globals ("url", "fetch"), compiled on first use. */
  source(group: string): string;
}
