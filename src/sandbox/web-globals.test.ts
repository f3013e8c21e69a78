import { afterAll, describe, expect, it } from "vitest";
import { runModule } from "./run-module.ts";
import { EngineSlot } from "./slot.ts";

const slot = new EngineSlot("/apps/web", {
  memoryMb: 64,
  cpuMsPerRequest: 1000,
  wallMsPerRequest: 2000,
  stackKb: 128,
});
afterAll(() => slot.dispose());

/** Evaluate a module in the sandbox with the guest runtime; its default export, or its error. */
async function guest(code: string): Promise<unknown> {
  const result = await runModule(await slot.acquire(), code, [], { output: { write: () => {} } });
  return result.ok ? result.value : { error: result.error };
}

describe("URL and URLSearchParams in the sandbox give Node's answers", () => {
  it("parses absolute and relative URLs, normalising like the WHATWG standard", async () => {
    expect(
      await guest(`const u = new URL("../c/./d?x=1#f", "HTTPS://Example.COM:443/a/b/");
      export default [u.href, u.origin, u.host, u.port, u.pathname, u.search, u.hash, String(u), JSON.stringify({ u })];`),
    ).toEqual([
      "https://example.com/a/c/d?x=1#f",
      "https://example.com",
      "example.com",
      "",
      "/a/c/d",
      "?x=1",
      "#f",
      "https://example.com/a/c/d?x=1#f",
      '{"u":"https://example.com/a/c/d?x=1#f"}',
    ]);
  });

  it("refuses an invalid URL with a TypeError, and canParse/parse say so without throwing", async () => {
    expect(
      await guest(`let e; try { new URL("not a url"); } catch (x) { e = [x instanceof TypeError, x.message]; }
      export default [e, URL.canParse("/x"), URL.canParse("/x", "http://h"), URL.parse("::")];`),
    ).toEqual([[true, "Invalid URL: not a url"], false, true, null]);
  });

  it("setters and searchParams stay in step both ways", async () => {
    expect(
      await guest(`const u = new URL("http://h/p?a=1&b=2");
      u.searchParams.append("c", "3 4&5");
      u.searchParams.delete("a");
      const afterParams = u.href;
      u.search = "?z=9";
      const z = u.searchParams.get("z");
      u.pathname = "/q r"; u.port = "8080"; u.hash = "top";
      export default [afterParams, z, u.href];`),
    ).toEqual(["http://h/p?b=2&c=3+4%265", "9", "http://h:8080/q%20r?z=9#top"]);
  });

  it("URLSearchParams parses and serialises form encoding", async () => {
    expect(
      await guest(`const p = new URLSearchParams("?a=1&b=x+y&a=%E2%82%AC&c");
      const q = new URLSearchParams({ k: "v", n: 1 });
      const r = new URLSearchParams([["z", "1"], ["a", "2"], ["z", "0"]]); r.sort();
      export default [p.getAll("a"), p.get("b"), p.get("c"), p.has("a", "1"), p.size, q.toString(), [...r].join("|"), r.toString()];`),
    ).toEqual([["1", "€"], "x y", "", true, 4, "k=v&n=1", "a,2|z,1|z,0", "a=2&z=1&z=0"]);
  });
});

describe("TextEncoder, TextDecoder, atob and btoa", () => {
  it("encode and decode UTF-8, with fatal decoding and the BOM handled as the standard says", async () => {
    expect(
      await guest(`const bytes = new TextEncoder().encode("aé€😀");
      const d = new TextDecoder();
      let fatal; try { new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xff])); } catch (e) { fatal = e instanceof TypeError; }
      const into = new Uint8Array(4); const r = new TextEncoder().encodeInto("é€", into);
      export default [[...bytes], d.decode(bytes.subarray(1, 3)), d.decode(new Uint8Array([0xff])), fatal,
        d.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), new TextDecoder("utf-8", { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf])).length,
        r, [...into], [...new TextEncoder().encode("\\ud800")]];`),
    ).toEqual([
      [97, 195, 169, 226, 130, 172, 240, 159, 152, 128],
      "é",
      "\ufffd",
      true,
      "A",
      1,
      { read: 1, written: 2 },
      [195, 169, 0, 0],
      [239, 191, 189],
    ]);
  });

  it("refuses encodings the sandbox does not carry, and bad base64 input", async () => {
    expect(
      await guest(`const out = [];
      try { new TextDecoder("latin1"); } catch (e) { out.push(e.name); }
      try { btoa("€"); } catch (e) { out.push(e.name); }
      export default [...out, btoa("hi"), atob("aGk=")];`),
    ).toEqual(["RangeError", "InvalidCharacterError", "aGk=", "hi"]);
  });
});

describe("Headers, Request and Response", () => {
  it("Headers are case-insensitive, combine values, sort, and keep set-cookie apart", async () => {
    expect(
      await guest(`const h = new Headers({ "X-B": "2", "Content-Type": "text/html" });
      h.append("x-b", "3"); h.append("Set-Cookie", "a=1"); h.append("set-cookie", "b=2");
      export default [h.get("X-b"), h.has("CONTENT-TYPE"), [...h], h.getSetCookie(), [...new Headers(h).keys()]];`),
    ).toEqual([
      "2, 3",
      true,
      [
        ["content-type", "text/html"],
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
        ["x-b", "2, 3"],
      ],
      ["a=1", "b=2"],
      ["content-type", "set-cookie", "set-cookie", "x-b"],
    ]);
  });

  it("Headers refuse names that are not tokens and values that would split a response", async () => {
    expect(
      await guest(`const out = [];
      for (const [n, v] of [["bad name", "x"], ["x", "a\\r\\nSet-Cookie: evil=1"], ["x", "a\\nb"], ["x", "a\\u0000"]]) {
        try { new Headers([[n, v]]); out.push("accepted"); } catch (e) { out.push(e.name); }
      }
      export default [...out, new Headers({ x: "  padded\\t" }).get("x")];`),
    ).toEqual(["TypeError", "TypeError", "TypeError", "TypeError", "padded"]);
  });

  it("Response bodies read once, as text, JSON or bytes, with the content type they imply", async () => {
    expect(
      await guest(`const r = new Response("héllo", { status: 201, statusText: "Created" });
      const text = await r.text();
      let again; try { await r.text(); } catch (e) { again = e.name; }
      const j = Response.json({ a: [1] }, { headers: { "x-y": "z" } });
      const b = new Response(new Uint8Array([1, 2, 3]));
      export default [r.status, r.statusText, r.ok, r.headers.get("content-type"), text, r.bodyUsed, again,
        await j.json(), j.headers.get("content-type"), j.headers.get("x-y"), [...await b.bytes()], b.headers.has("content-type"),
        new Response(null, { status: 204 }).body];`),
    ).toEqual([
      201,
      "Created",
      true,
      "text/plain;charset=UTF-8",
      "héllo",
      true,
      "TypeError",
      { a: [1] },
      "application/json",
      "z",
      [1, 2, 3],
      false,
      null,
    ]);
  });

  it("Response refuses statuses outside 200–599 and a body on a null-body status; redirect sets Location", async () => {
    expect(
      await guest(`const out = [];
      for (const init of [{ status: 100 }, { status: 600 }, { status: 2.5 }]) { try { new Response("", init); } catch (e) { out.push(e.name); } }
      try { new Response("x", { status: 204 }); } catch (e) { out.push(e.name); }
      const r = Response.redirect("http://h/next", 303);
      export default [...out, r.status, r.headers.get("location")];`),
    ).toEqual(["RangeError", "RangeError", "RangeError", "TypeError", 303, "http://h/next"]);
  });

  it("Request normalises the method, parses the URL, refuses a body on GET, and clones", async () => {
    expect(
      await guest(`const r = new Request("http://h/a?b=1", { method: "post", body: new URLSearchParams({ q: "x y" }), headers: { "X-A": "1" } });
      const c = r.clone();
      const out = [r.method, r.url, r.headers.get("content-type"), await r.text(), await c.text(), new Request(r.url, { method: "PATCH" }).method];
      try { new Request("http://h/", { body: "x" }); } catch (e) { out.push(e.name); }
      try { new Request("/relative"); } catch (e) { out.push(e.name); }
      try { new Request("http://h/", { method: "TRACE" }); } catch (e) { out.push(e.name); }
      export default out;`),
    ).toEqual([
      "POST",
      "http://h/a?b=1",
      "application/x-www-form-urlencoded;charset=UTF-8",
      "q=x+y",
      "q=x+y",
      "PATCH",
      "TypeError",
      "TypeError",
      "TypeError",
    ]);
  });

  it("the natives behind the globals are not reachable from app code", async () => {
    expect(
      await guest(
        `export default [typeof globalThis.__locara_web, Object.getOwnPropertyNames(globalThis).filter((n) => n.startsWith("__locara_web"))];`,
      ),
    ).toEqual(["undefined", []]);
  });
});
