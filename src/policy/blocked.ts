import ipaddr from "ipaddr.js";
import type { Cidr } from "./capability.ts";

/**
 * Addresses an app can never reach unless the server config allows that exact range: the host's
 * own machine, its private networks, cloud metadata services, and ranges that are not unicast
 * internet. IPv6 forms that embed an IPv4 address (NAT64, 6to4) are checked by the embedded one.
 */
const V4: readonly (readonly [string, string])[] = [
  ["0.0.0.0/8", "the unspecified network (0.0.0.0)"],
  ["10.0.0.0/8", "a private network"],
  ["100.64.0.0/10", "carrier-grade NAT, including some cloud metadata services"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local, including the cloud metadata service 169.254.169.254"],
  ["172.16.0.0/12", "a private network"],
  ["192.0.0.0/24", "IETF protocol assignments"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "6to4 relay anycast"],
  ["192.168.0.0/16", "a private network"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved, including broadcast 255.255.255.255"],
];

const V6: readonly (readonly [string, string])[] = [
  ["::/96", "the unspecified, loopback and IPv4-compatible addresses"],
  ["100::/64", "discard-only"],
  ["64:ff9b:1::/48", "local-use NAT64"],
  ["2001::/32", "Teredo"],
  ["2001:2::/48", "benchmarking"],
  ["2001:10::/28", "ORCHID"],
  ["2001:20::/28", "ORCHIDv2"],
  ["2001:db8::/32", "documentation"],
  ["3fff::/20", "documentation"],
  ["5f00::/16", "SRv6 segment identifiers"],
  ["fc00::/7", "unique-local, including the cloud metadata service fd00:ec2::254"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "site-local"],
  ["ff00::/8", "multicast"],
];

interface Range {
  readonly cidr: Cidr;
  readonly text: string;
  readonly why: string;
}

const parse = (list: readonly (readonly [string, string])[]): readonly Range[] =>
  list.map(([text, why]) => ({ cidr: ipaddr.parseCIDR(text), text, why }));

export const BLOCKED_V4 = parse(V4);
export const BLOCKED_V6 = parse(V6);

/** Names that resolve to the host's own machine, its network or a metadata service. */
const BLOCKED_NAMES = new Set([
  "localhost",
  "metadata",
  "metadata.goog",
  "metadata.google.internal",
  "instance-data",
  "kubernetes.default",
  "home.arpa",
]);
/** Top-level labels reserved for local or private use: every name under them is blocked. */
const BLOCKED_TLDS = new Set(["localhost", "local", "internal", "localdomain", "lan", "intranet"]);

export function blockedName(name: string): string | undefined {
  if (BLOCKED_NAMES.has(name)) return `the name ${name}`;
  const tld = name.slice(name.lastIndexOf(".") + 1);
  if (BLOCKED_TLDS.has(tld)) return `names under .${tld}`;
  if (name.endsWith(".home.arpa")) return "names under .home.arpa";
  return undefined;
}

function inRange(addr: ipaddr.IPv4 | ipaddr.IPv6, [net, prefix]: Cidr): boolean {
  return addr.kind() === net.kind() && addr.match(net, prefix);
}

/** The IPv4 address an IPv6 address carries (NAT64 64:ff9b::/96, 6to4 2002::/16), if any. */
function embeddedV4(addr: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const b = addr.toByteArray();
  if (addr.match(ipaddr.parse("64:ff9b::") as ipaddr.IPv6, 96)) return new ipaddr.IPv4(b.slice(12, 16));
  if (addr.match(ipaddr.parse("2002::") as ipaddr.IPv6, 16)) return new ipaddr.IPv4(b.slice(2, 6));
  return undefined;
}

/**
 * Why an address is blocked, or undefined. An address inside a server-allowed range is not
 * blocked; an embedded IPv4 address must itself be allowed.
 */
export function blockedAddress(addr: ipaddr.IPv4 | ipaddr.IPv6, allow: readonly Cidr[]): Range | undefined {
  if (allow.some((c) => inRange(addr, c))) return undefined;
  if (addr.kind() === "ipv4") return BLOCKED_V4.find((r) => inRange(addr, r.cidr));
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return blockedAddress(v6.toIPv4Address(), allow);
  const embedded = embeddedV4(v6);
  if (embedded) {
    const inner = blockedAddress(embedded, allow);
    return inner && { ...inner, why: `${inner.why}, embedded in ${v6.toString()}` };
  }
  return BLOCKED_V6.find((r) => inRange(addr, r.cidr));
}

/** A server-allowed range must lie inside one blocked range: it can only lift part of the block. */
export function parseAllowedRange(text: string): Cidr | string {
  let cidr: Cidr;
  try {
    cidr = text.includes("/")
      ? ipaddr.parseCIDR(text)
      : [ipaddr.parse(text), ipaddr.parse(text).kind() === "ipv4" ? 32 : 128];
  } catch {
    return `${JSON.stringify(text)} is not an address range: use "10.1.2.0/24" or "fd00:1::/64"`;
  }
  const [net, prefix] = cidr;
  const ranges = net.kind() === "ipv4" ? BLOCKED_V4 : BLOCKED_V6;
  const inside = ranges.some((r) => inRange(net, r.cidr) && prefix >= r.cidr[1]);
  if (!inside)
    return `${JSON.stringify(text)} is not inside a blocked range: only private or reserved ranges need allowing`;
  return cidr;
}
