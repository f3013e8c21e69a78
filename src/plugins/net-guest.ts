/**
 * The guest side of `locara:net`: a web-standard `fetch(input, init)` built on the guest's own
 * Request and Response, handing the host a plain request (URL, method, header pairs, body bytes).
 * `host.fetch` is the raw host function (see HostModule.guestSource).
 */
export const FETCH_GUEST_SOURCE = `const NULL_BODY = [101, 103, 204, 205, 304];
const METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"];
const TOKEN = /^[!#$%&'*+\\-.^_\`|~0-9A-Za-z]+$/;
/** A URL string and no body (the common case): no Request object to build; the host parses the URL. */
function plain(input, init) {
  if (typeof input !== "string" || (init?.body !== undefined && init?.body !== null)) return undefined;
  let method = init?.method === undefined ? "GET" : String(init.method);
  if (!TOKEN.test(method)) throw new TypeError("fetch: " + JSON.stringify(method) + " is not a valid method");
  if (METHODS.includes(method.toUpperCase())) method = method.toUpperCase();
  if (["CONNECT", "TRACE", "TRACK"].includes(method.toUpperCase())) throw new TypeError("fetch: the method " + method + " is forbidden");
  const headers = init?.headers === undefined ? [] : [...new Headers(init.headers)];
  return { url: input, method, headers, body: null };
}
export async function fetch(input, init) {
  const redirect = init?.redirect ?? "follow";
  if (redirect !== "follow" && redirect !== "manual" && redirect !== "error") {
    throw new TypeError('fetch: redirect must be "follow", "manual" or "error"');
  }
  let wire = plain(input, init);
  if (!wire) {
    const request = new Request(input, init ?? {});
    wire = { url: request.url, method: request.method, headers: [...request.headers], body: request.body };
  }
  const answer = await host.fetch({ ...wire, redirect });
  const empty = NULL_BODY.includes(answer.status) || wire.method === "HEAD";
  const response = new Response(empty ? null : answer.body, {
    status: answer.status,
    statusText: answer.statusText,
    headers: answer.headers,
  });
  Object.defineProperties(response, { url: { value: answer.url }, redirected: { value: answer.redirected } });
  return response;
}
export default fetch;`;

/** A module that makes `fetch` a global, imported before the app's code when `net` is declared. */
export const FETCH_GLOBAL_MODULE = "locara:net/global";
export const FETCH_GLOBAL_SOURCE = `import { fetch } from "locara:net";
Object.defineProperty(globalThis, "fetch", { value: fetch, writable: true, configurable: true, enumerable: false });`;
