import type { QuickJSContext, QuickJSHandle, VmCallResult } from "quickjs-emscripten";
import { guestFetchTypes } from "./guest/fetch-types.ts";
import { guestUrlEncoding, URL_PARTS, type WebNatives } from "./guest/url-encoding.ts";

const NATIVES = "__locara_web";

/**
 * The web globals' guest prelude. Compiling the classes costs ~2 ms per context, so they are
 * compiled on first use: each global starts as an accessor that evaluates its group's source
 * (handed out by a native, never parsed until then) and replaces itself with the class. `eval`
 * and the error classes are captured here, before any app code could replace them; the natives'
 * global is removed, so app code only ever sees the standard classes.
 */
export const WEB_GLOBALS_SOURCE = `(() => {
  const raw = globalThis.${NATIVES};
  delete globalThis.${NATIVES};
  const evaluate = (0, eval);
  const define = Object.defineProperty;
  // A native's failure arrives as a plain Error carrying a name; rethrow it as the real class.
  const Types = { TypeError, RangeError };
  const natives = {};
  for (const name of Object.keys(raw)) {
    const fn = raw[name];
    natives[name] = (...args) => {
      try { return fn(...args); } catch (e) {
        const error = new (Types[e.name] ?? Error)(e.message);
        if (!(e.name in Types)) error.name = e.name;
        throw error;
      }
    };
  }
  let url, fetchTypes;
  const loadUrl = () => (url ??= evaluate("(" + natives.source("url") + ")")(natives, ${JSON.stringify(URL_PARTS)}));
  const loadFetch = () => (fetchTypes ??= evaluate("(" + natives.source("fetch") + ")")(loadUrl()));
  const settle = (name, value) => define(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  const lazy = (name, load) => define(globalThis, name, {
    configurable: true,
    enumerable: false,
    get() { const value = load()[name]; settle(name, value); return value; },
    set(value) { settle(name, value); },
  });
  for (const name of ["URL", "URLSearchParams", "TextEncoder", "TextDecoder", "atob", "btoa"]) lazy(name, loadUrl);
  for (const name of ["Headers", "Request", "Response"]) lazy(name, loadFetch);
})();`;

const GUEST_SOURCES: Readonly<Record<string, string>> = {
  url: guestUrlEncoding.toString(),
  fetch: guestFetchTypes.toString(),
};

/** URL parts the guest may set: nothing else of Node's URL object is reachable by name. */
const SETTABLE = new Set<string>(URL_PARTS.filter((part) => part !== "origin"));

/**
 * A URL's parts in a fixed order, one per line (the WHATWG parser removes or percent-encodes
 * every line break, so no part contains one): cheaper for the guest than JSON.
 */
function urlParts(url: URL): string {
  return URL_PARTS.map((part) => url[part]).join("\n");
}

const DECODERS = new Map<string, InstanceType<typeof TextDecoder>>();
function decoderFor(fatal: boolean, ignoreBOM: boolean): InstanceType<typeof TextDecoder> {
  const key = `${fatal} ${ignoreBOM}`;
  let decoder = DECODERS.get(key);
  if (!decoder) {
    decoder = new TextDecoder("utf-8", { fatal, ignoreBOM });
    DECODERS.set(key, decoder);
  }
  return decoder;
}

/**
 * Install URL, URLSearchParams, TextEncoder/Decoder, atob/btoa, Headers, Request and Response in a
 * fresh context. Invariant: each native is a pure function of the strings, numbers and bytes it is
 * given (Node's own WHATWG URL, form encoding, UTF-8 and base64) and returns new strings or bytes;
 * none holds or reaches any authority, and a wrong argument type is a TypeError in the guest.
 */
export function installWebGlobals(context: QuickJSContext): void {
  const vm = context;
  const str = (h: QuickJSHandle | undefined): string => {
    if (h === undefined || vm.typeof(h) !== "string") throw new TypeError("expected a string");
    return vm.getString(h);
  };
  const num = (h: QuickJSHandle | undefined): number => {
    if (h === undefined || vm.typeof(h) !== "number") throw new TypeError("expected a number");
    return vm.getNumber(h);
  };
  const bool = (h: QuickJSHandle | undefined): boolean => h !== undefined && vm.dump(h) === true;
  const impl: Record<keyof WebNatives, (...args: (QuickJSHandle | undefined)[]) => QuickJSHandle> = {
    url: (input, base) => {
      const b = base === undefined || vm.typeof(base) === "undefined" ? undefined : str(base);
      const url = URL.parse(str(input), b);
      return url === null ? vm.null : vm.newString(urlParts(url));
    },
    urlSet: (href, part, value) => {
      const name = str(part);
      if (!SETTABLE.has(name)) throw new TypeError(`URL has no settable part ${JSON.stringify(name)}`);
      const url = new URL(str(href));
      (url as unknown as Record<string, string>)[name] = str(value); // throws TypeError for a bad href
      return vm.newString(urlParts(url));
    },
    formParse: (input) => vm.newString(JSON.stringify([...new URLSearchParams(str(input))])),
    formStringify: (pairs) => {
      const list: unknown = JSON.parse(str(pairs));
      if (!Array.isArray(list) || !list.every((p) => Array.isArray(p) && p.length === 2)) {
        throw new TypeError("expected a list of pairs");
      }
      return vm.newString(
        new URLSearchParams(list.map(([k, v]): [string, string] => [String(k), String(v)])).toString(),
      );
    },
    encode: (input) => {
      const bytes = Buffer.from(str(input), "utf8");
      return vm.newArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    },
    decode: (buffer, offset, length, fatal, ignoreBOM) => {
      if (buffer === undefined || vm.typeof(buffer) !== "object") throw new TypeError("expected bytes");
      const start = num(offset);
      const count = num(length);
      const view = vm.getArrayBuffer(buffer);
      try {
        const bytes = view.value;
        if (
          !Number.isInteger(start) ||
          !Number.isInteger(count) ||
          start < 0 ||
          count < 0 ||
          start + count > bytes.length
        ) {
          throw new RangeError("the bytes to decode are out of range");
        }
        const text = decoderFor(bool(fatal), bool(ignoreBOM)).decode(bytes.subarray(start, start + count));
        return vm.newString(text);
      } finally {
        view.dispose();
      }
    },
    atob: (input) => vm.newString(atob(str(input))),
    btoa: (input) => vm.newString(btoa(str(input))),
    source: (group) => {
      const source = GUEST_SOURCES[str(group)];
      if (source === undefined) throw new TypeError("no such guest source");
      return vm.newString(source);
    },
  };
  const natives = vm.newObject();
  for (const [name, fn] of Object.entries(impl)) {
    const handle = vm.newFunction(name, (...args): VmCallResult<QuickJSHandle> => {
      try {
        return { value: fn(...args) };
      } catch (error) {
        // Only the message of Node's own TypeError/RangeError/DOMException crosses, never a host object.
        const e = error as Error;
        const name =
          e?.name === "RangeError"
            ? "RangeError"
            : e?.name === "InvalidCharacterError"
              ? "InvalidCharacterError"
              : "TypeError";
        return { error: vm.newError({ name, message: String(e?.message ?? error) }) };
      }
    });
    vm.setProp(natives, name, handle);
    handle.dispose();
  }
  vm.defineProp(vm.global, NATIVES, { value: natives, configurable: true, enumerable: false });
  natives.dispose();
  const result = vm.evalCode(WEB_GLOBALS_SOURCE, "locara-web.js");
  if (result.error) {
    const message = JSON.stringify(vm.dump(result.error));
    result.error.dispose();
    throw new Error(`the web globals failed to install: ${message}`);
  }
  result.value.dispose();
}
