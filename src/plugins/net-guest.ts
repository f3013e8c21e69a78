/**
 * The guest side of `locara:net`: a web-standard `fetch(input, init)` built on the guest's own
 * Request and Response, handing the host a plain request (URL, method, header pairs, body bytes).
 * `host.fetch` is the raw host function (see HostModule.guestSource).
 */
export const FETCH_GUEST_SOURCE = `const NULL_BODY = [101, 103, 204, 205, 304];
export async function fetch(input, init) {
  const request = new Request(input, init ?? {});
  const redirect = init?.redirect ?? "follow";
  if (redirect !== "follow" && redirect !== "manual" && redirect !== "error") {
    throw new TypeError('fetch: redirect must be "follow", "manual" or "error"');
  }
  const answer = await host.fetch({
    url: request.url,
    method: request.method,
    headers: [...request.headers],
    body: request.body,
    redirect,
  });
  const empty = NULL_BODY.includes(answer.status) || request.method === "HEAD";
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
