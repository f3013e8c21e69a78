import ipaddr from "ipaddr.js";

/** A host after canonicalisation: what a connection would actually be made to. */
export type CanonicalHost =
  | { readonly type: "name"; readonly name: string }
  | { readonly type: "ip"; readonly ip: string; readonly version: 4 | 6 };

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Canonical form of an IP address: IPv4 dotted quad, IPv6 compressed (RFC 5952), and an
 * IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address it maps to, so that the two
 * spellings of one address can never be matched differently.
 */
export function canonicalIp(text: string): { ip: string; version: 4 | 6 } | undefined {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  // Cheap pre-check: ipaddr.isValid throws and catches internally, which costs microseconds.
  if (!(bare.includes(":") ? /^[0-9a-fA-F:.]+$/.test(bare) : /^[0-9.]+$/.test(bare))) return undefined;
  if (!ipaddr.isValid(bare)) return undefined;
  const parsed = ipaddr.parse(bare);
  if (parsed.kind() === "ipv6") {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return { ip: v6.toIPv4Address().toString(), version: 4 };
    return { ip: v6.toString(), version: 6 };
  }
  // ipaddr accepts non-dotted-quad IPv4 forms; only a strict four-part decimal is canonical here.
  if (!ipaddr.IPv4.isValidFourPartDecimal(bare)) return undefined;
  return { ip: parsed.toString(), version: 4 };
}

/**
 * Canonicalise a host the way a WHATWG URL parser (and so `fetch`) does: lower case, IDNA to
 * ASCII, the numeric IPv4 forms (`127.1`, `0x7f.1`, `2130706433`, `0177.0.0.1`) to a dotted quad,
 * and without a trailing dot. Returns undefined for anything that is not a plain host.
 */
export function canonicalHost(raw: string): CanonicalHost | undefined {
  if (raw.length === 0 || raw.length > 300) return undefined;
  // Characters that would make the URL parser read a different host than the one written.
  if (/[\s/\\@?#%*]/.test(raw)) return undefined;
  if (PLAIN_NAME.test(raw) && !raw.includes("xn--")) return { type: "name", name: raw };
  let hostname: string;
  try {
    hostname = new URL(`https://${raw}/`).hostname;
  } catch {
    return undefined;
  }
  return canonicalUrlHost(hostname);
}

/**
 * A name the WHATWG host parser would leave exactly as it is: lower-case ASCII labels, the last
 * one starting with a letter (so it cannot be read as a number: `127.1`, `0x7f.1`), no trailing
 * dot, within DNS lengths. Anything else goes through the URL parser.
 */
const PLAIN_NAME =
  /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Canonical form of a hostname that a WHATWG URL parser already produced (`url.hostname`). */
export function canonicalUrlHost(parsedHostname: string): CanonicalHost | undefined {
  let hostname = parsedHostname;
  if (hostname.startsWith("[")) {
    const ip = canonicalIp(hostname);
    return ip && { type: "ip", ...ip };
  }
  if (hostname.endsWith(".")) hostname = hostname.slice(0, -1);
  const ip = canonicalIp(hostname);
  if (ip) return { type: "ip", ...ip };
  if (hostname.length === 0 || hostname.length > 253) return undefined;
  for (const label of hostname.split(".")) if (!LABEL.test(label)) return undefined;
  return { type: "name", name: hostname };
}

export function formatIp(ip: string, version: 4 | 6): string {
  return version === 6 ? `[${ip}]` : ip;
}
