import ipaddr from "ipaddr.js";
import { InvalidResourceError } from "../../errors.ts";
import {
  type CanonicalHost,
  canonicalHost,
  canonicalIp,
  canonicalUrlHost,
  formatIp,
} from "../../manifest/scopes/host.ts";
import type { NetScope } from "../../manifest/scopes/types.ts";
import { blockedAddress, blockedName } from "../blocked.ts";
import { type Cidr, defineCapability, type Matcher } from "../capability.ts";

export interface NetResource {
  /** Lower-case scheme without ":"; anything but http/https is blocked. */
  readonly scheme: string;
  readonly host?: CanonicalHost | undefined;
  readonly ip?: ipaddr.IPv4 | ipaddr.IPv6 | undefined;
  readonly port: number;
  /** The resolved address the connection will go to, if the caller resolved the name. */
  readonly address?: ipaddr.IPv4 | ipaddr.IPv6 | undefined;
}

/** `name[:port]` with a decimal port: the common request form, canonicalised without a URL parse. */
const PLAIN_HOST_PORT = /^([^:[\]]+)(?::(\d{1,5}))?$/;

const DEFAULT_PORT: Readonly<Record<string, number>> = { https: 443, http: 80 };

function hostText(host: CanonicalHost): string {
  return host.type === "name" ? host.name : formatIp(host.ip, host.version);
}

/**
 * Parsed addresses by their text: parsing dominated a decision (several ipaddr.js parses each).
 * Pure memoisation, bounded; parsed values are never mutated.
 */
const PARSED = new Map<string, ipaddr.IPv4 | ipaddr.IPv6 | null>();
function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  let value = PARSED.get(text);
  if (value === undefined) {
    const canonical = canonicalIp(text);
    value = canonical ? ipaddr.parse(canonical.ip) : null;
    if (PARSED.size >= 4096) PARSED.clear();
    PARSED.set(text, value);
  }
  return value;
}

function withHost(
  scheme: string,
  host: CanonicalHost,
  port: number,
  address: string | undefined,
): NetResource {
  let resolved: ipaddr.IPv4 | ipaddr.IPv6 | undefined;
  if (address !== undefined) {
    const parsed = parseAddress(address);
    if (!parsed) throw new InvalidResourceError("net", address, "the resolved address is not an IP address");
    resolved = parsed;
  }
  return {
    scheme,
    host,
    port,
    ip: host.type === "ip" ? (parseAddress(host.ip) ?? undefined) : undefined,
    address: resolved,
  };
}

function describe(r: NetResource): string {
  if (!r.host) return `${r.scheme}:`;
  const port = r.port === DEFAULT_PORT[r.scheme] ? "" : `:${r.port}`;
  return `${r.scheme}://${hostText(r.host)}${port}`;
}

/**
 * A request is a URL or `host[:port]` (https). The host is canonicalised exactly as `fetch` will
 * see it (WHATWG URL parsing: IDNA, numeric IPv4 forms, backslashes, userinfo), so the host that is
 * checked is the host that is connected to.
 */
function normalize(resource: string | undefined, address: string | undefined): NetResource {
  if (typeof resource !== "string" || resource.length === 0) {
    throw new InvalidResourceError("net", resource, 'give a URL or "host[:port]"');
  }
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(resource) || /^[a-zA-Z][a-zA-Z0-9+.-]*:[^0-9]/.test(resource)) {
    let url: URL;
    try {
      url = new URL(resource);
    } catch {
      throw new InvalidResourceError("net", resource, "not a valid URL");
    }
    const scheme = url.protocol.slice(0, -1);
    if (scheme !== "http" && scheme !== "https") return { scheme, port: 0 };
    const host = canonicalUrlHost(url.hostname);
    if (!host) throw new InvalidResourceError("net", resource, "the URL's host is not a valid host name");
    return withHost(scheme, host, url.port === "" ? DEFAULT_PORT[scheme]! : Number(url.port), address);
  }
  if (/[\s/\\@?#]/.test(resource))
    throw new InvalidResourceError("net", resource, 'give a URL or "host[:port]"');
  const plain = PLAIN_HOST_PORT.exec(resource);
  if (plain) {
    const host = canonicalHost(plain[1]!);
    const port = plain[2] === undefined ? 443 : Number(plain[2]);
    if (host && port >= 1 && port <= 65535) return withHost("https", host, port, address);
  }
  let url: URL;
  try {
    url = new URL(`https://${resource}/`);
  } catch {
    throw new InvalidResourceError("net", resource, 'not a valid "host[:port]"');
  }
  const host = canonicalHost(url.hostname);
  if (!host) throw new InvalidResourceError("net", resource, "not a valid host name");
  return withHost("https", host, url.port === "" ? 443 : Number(url.port), address);
}

function compile(rules: readonly { scope: NetScope }[], mode: "allow" | "deny"): Matcher<NetResource> {
  const names = new Map<string, number[]>();
  const wildcards = new Map<string, number[]>();
  const ips = new Map<string, number[]>();
  const cidrs: { index: number; cidr: Cidr }[] = [];
  const add = (map: Map<string, number[]>, key: string, index: number) => {
    const list = map.get(key);
    if (list) list.push(index);
    else map.set(key, [index]);
  };
  rules.forEach(({ scope }, index) => {
    const h = scope.host;
    if (h.form === "name") add(names, h.name, index);
    else if (h.form === "wildcard") add(wildcards, h.base, index);
    else if (h.form === "ip") add(ips, h.ip, index);
    else cidrs.push({ index, cidr: [ipaddr.parse(h.ip), h.prefix] });
  });
  // An allow rule covers its declared scheme and port (no port: the scheme's default port only);
  // a deny rule covers every scheme, and every port unless it names one.
  const fits = (scope: NetScope, r: NetResource): boolean => {
    if (mode === "deny") return scope.port === undefined || scope.port === r.port;
    if (scope.scheme === "https" && r.scheme !== "https") return false;
    return r.port === (scope.port ?? DEFAULT_PORT[r.scheme]);
  };
  let best = -1;
  const consider = (list: readonly number[] | undefined, r: NetResource) => {
    if (!list) return;
    for (const i of list) if ((best < 0 || i < best) && fits(rules[i]!.scope, r)) best = i;
  };
  const considerIp = (addr: ipaddr.IPv4 | ipaddr.IPv6, r: NetResource) => {
    consider(ips.get(addr.toString()), r);
    for (const c of cidrs) {
      if (
        (best < 0 || c.index < best) &&
        addr.kind() === c.cidr[0].kind() &&
        addr.match(c.cidr[0], c.cidr[1]) &&
        fits(rules[c.index]!.scope, r)
      ) {
        best = c.index;
      }
    }
  };
  return (r) => {
    best = -1;
    const host = r.host;
    if (!host) return -1;
    if (host.type === "name") {
      consider(names.get(host.name), r);
      // `*.example.com` covers names below example.com, by whole labels: never example.com
      // itself, never "partner-example.com", never "example.com.attacker.net".
      if (wildcards.size > 0) {
        let dot = host.name.indexOf(".");
        while (dot >= 0) {
          consider(wildcards.get(host.name.slice(dot + 1)), r);
          dot = host.name.indexOf(".", dot + 1);
        }
      }
    } else if (r.ip) {
      considerIp(r.ip, r);
    }
    // A deny by address also covers a name that resolved to it.
    if (mode === "deny" && r.address) considerIp(r.address, r);
    return best;
  };
}

export const net = defineCapability<NetScope, NetResource>({
  kind: "net",
  verb: "connect to",
  normalize: (request) => normalize(request.resource, request.address),
  compile: (rules, _ctx, mode) => compile(rules, mode),
  describe,
  scopeFor(r) {
    if (!r.host) return describe(r);
    const port = r.port === DEFAULT_PORT[r.scheme] ? "" : `:${r.port}`;
    return `${r.scheme === "http" ? "http://" : ""}${hostText(r.host)}${port}`;
  },
  builtinDeny(r, ctx) {
    if (r.scheme !== "https" && r.scheme !== "http") {
      return {
        rule: `builtin net scheme ${r.scheme}`,
        why: `the ${r.scheme}: scheme (only https, and http where declared)`,
      };
    }
    if (r.host?.type === "name") {
      const why = blockedName(r.host.name);
      if (why) return { rule: `builtin net name ${r.host.name}`, why };
    }
    for (const addr of [r.ip, r.address]) {
      if (!addr) continue;
      const range = blockedAddress(addr, ctx.allowPrivate);
      if (range) return { rule: `builtin net ${range.text}`, why: `${addr.toString()} (${range.why})` };
    }
    return undefined;
  },
  explainMiss(r, rules) {
    if (
      r.scheme === "http" &&
      r.host &&
      rules.some(
        ({ scope }) =>
          scope.scheme === "https" &&
          compile([{ scope }], "allow")({ ...r, scheme: "https", port: r.port === 80 ? 443 : r.port }) >= 0,
      )
    ) {
      return `plain http needs "http://${hostText(r.host)}" declared`;
    }
    return undefined;
  },
});
