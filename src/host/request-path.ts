/**
 * One canonical form of a request path, so that what route access checks is what the app routes
 * on. Apps decode percent-encoding (`/%61dmin` is `/admin` to most routers) and ignore empty
 * segments, so the host decodes each segment, refuses an encoded `/`, `\` or NUL (which a router
 * could split differently), drops empty segments, resolves `.` and `..`, and hands the app the
 * path re-encoded from exactly those segments. `decoded` is what route access compares
 * (case-insensitively: a route covers every spelling a case-insensitive router would accept).
 */
export function canonicalRequestPath(raw: string): { decoded: string; encoded: string } | undefined {
  const segments: string[] = [];
  for (const part of raw.split("/")) {
    if (part === "") continue;
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    if (/[/\\\0]/.test(segment)) return undefined;
    if (segment === ".") continue;
    if (segment === "..") {
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  const trailing = raw.length > 1 && raw.endsWith("/") && segments.length > 0 ? "/" : "";
  const encode = (s: string) =>
    encodeURIComponent(s).replace(/%(3A|40|21|24|26|27|28|29|2A|2B|2C|3B|3D)/gi, (_, h: string) =>
      String.fromCharCode(Number.parseInt(h, 16)),
    );
  return {
    decoded: `/${segments.join("/")}${trailing}`,
    encoded: `/${segments.map(encode).join("/")}${trailing}`,
  };
}
