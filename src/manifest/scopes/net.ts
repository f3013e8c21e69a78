import ipaddr from "ipaddr.js";
import { canonicalHost, formatIp } from "./host.ts";
import { type HostPattern, type NetScope, q, type ScopeResult, scopeError, scopeOk } from "./types.ts";

function notAHost(text: string): { ok: false; message: string } {
  return scopeError(`${q(text)} is not a host pattern: use "host", "host:port" or "*.host"`);
}

function parsePort(text: string, raw: string): number | { ok: false; message: string } {
  if (!/^\d{1,5}$/.test(raw)) return scopeError(`${q(text)} has port ${q(raw)}: a port is a number 1-65535`);
  const port = Number(raw);
  if (port < 1 || port > 65535) return scopeError(`${q(text)} has port ${port}: a port is a number 1-65535`);
  return port;
}

function parseCidr(text: string): ScopeResult<NetScope> {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    return scopeError(`${q(text)} is not a CIDR range: use "203.0.113.0/24" or "2001:db8::/32"`);
  }
  const [addr, prefix] = parsed;
  if (prefix === 0) return scopeError(`${q(text)} covers every address: name the range the app needs`);
  const version = addr.kind() === "ipv4" ? 4 : 6;
  const network =
    version === 4
      ? ipaddr.IPv4.networkAddressFromCIDR(text).toString()
      : ipaddr.IPv6.networkAddressFromCIDR(text).toString();
  return scopeOk(
    { type: "net", scheme: "https", host: { form: "cidr", ip: network, prefix, version } },
    `${network}/${prefix}`,
  );
}

export function formatHostPattern(host: HostPattern): string {
  switch (host.form) {
    case "name":
      return host.name;
    case "wildcard":
      return `*.${host.base}`;
    case "ip":
      return formatIp(host.ip, host.version);
    case "cidr":
      return `${host.ip}/${host.prefix}`;
  }
}

export function formatNetScope(scope: NetScope): string {
  const scheme = scope.scheme === "http" ? "http://" : "";
  const port = scope.port === undefined ? "" : `:${scope.port}`;
  return `${scheme}${formatHostPattern(scope.host)}${port}`;
}

/**
 * `host`, `host:port`, `*.host`, an IP literal (`[v6]` with a port), a CIDR range, each optionally
 * behind `http://` (which permits plain http) or `https://`. Invariant: there is no pattern that
 * covers every host; `*.host` covers subdomains only and never spans a bare top-level domain.
 */
export function parseNetScope(text: string): ScopeResult<NetScope> {
  if (text.length === 0) return notAHost(text);
  let scheme: "https" | "http" = "https";
  let rest = text;
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text);
  if (schemeMatch) {
    const name = schemeMatch[1]!.toLowerCase();
    if (name !== "http" && name !== "https") {
      return scopeError(`${q(text)} uses ${name}://: only https (the default) and "http://host" are allowed`);
    }
    scheme = name;
    rest = text.slice(schemeMatch[0].length);
    if (rest.endsWith("/")) rest = rest.slice(0, -1);
  } else if (/^[0-9a-fA-F:.]+\/\d+$/.test(text)) {
    return parseCidr(text);
  }
  let wildcard = false;
  if (rest.startsWith("*.")) {
    wildcard = true;
    rest = rest.slice(2);
  }
  if (rest.includes("*") || rest.length === 0) return notAHost(text);

  let hostPart = rest;
  let port: number | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) return notAHost(text);
    hostPart = rest.slice(0, close + 1);
    const after = rest.slice(close + 1);
    if (after !== "") {
      if (!after.startsWith(":")) return notAHost(text);
      const p = parsePort(text, after.slice(1));
      if (typeof p !== "number") return p;
      port = p;
    }
  } else if (ipaddr.IPv6.isValid(rest)) {
    hostPart = `[${rest}]`;
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon >= 0) {
      hostPart = rest.slice(0, colon);
      const p = parsePort(text, rest.slice(colon + 1));
      if (typeof p !== "number") return p;
      port = p;
    }
  }
  const host = canonicalHost(hostPart);
  if (!host) return notAHost(text);
  let pattern: HostPattern;
  if (host.type === "ip") {
    if (wildcard) return scopeError(`${q(text)}: "*." only goes before a domain name, not an address`);
    pattern = { form: "ip", ip: host.ip, version: host.version };
  } else if (wildcard) {
    if (!host.name.includes(".")) {
      return scopeError(`${q(text)} covers a whole top-level domain: name the domain ("*.example.com")`);
    }
    pattern = { form: "wildcard", base: host.name };
  } else {
    pattern = { form: "name", name: host.name };
  }
  const scope: NetScope =
    port === undefined
      ? { type: "net", scheme, host: pattern }
      : { type: "net", scheme, host: pattern, port };
  return scopeOk(scope, formatNetScope(scope));
}
