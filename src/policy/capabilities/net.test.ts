import { describe, expect, it } from "vitest";
import { InvalidInputError, InvalidResourceError } from "../../errors.ts";
import { decide } from "../decide.ts";
import { check, policyFor, stateOf } from "../test-helpers.ts";

const net = (resource: string, address?: string) =>
  address === undefined ? { kind: "net", resource } : { kind: "net", resource, address };

describe("net host patterns", () => {
  const policy =
    policyFor(`  net: [api.example.com, "*.partner.com", "cdn.example.net:8443", "http://plain.example.org", "[2606:4700::1111]", "93.184.216.0/24", 8.8.8.8]
`);

  it("an exact host covers that host only, on https's default port", () => {
    expect(stateOf(policy, net("api.example.com"))).toBe("granted");
    expect(stateOf(policy, net("https://api.example.com/v1/chat?x=1"))).toBe("granted");
    expect(stateOf(policy, net("api.example.com:443"))).toBe("granted");
    expect(stateOf(policy, net("api.example.com:8443"))).toBe("denied");
    expect(stateOf(policy, net("x.api.example.com"))).toBe("denied");
    expect(stateOf(policy, net("example.com"))).toBe("denied");
  });

  it("*.host covers subdomains at any depth, never the bare host or look-alikes", () => {
    expect(stateOf(policy, net("a.partner.com"))).toBe("granted");
    expect(stateOf(policy, net("a.b.partner.com"))).toBe("granted");
    expect(stateOf(policy, net("partner.com"))).toBe("denied");
    expect(stateOf(policy, net("evilpartner.com"))).toBe("denied");
    expect(stateOf(policy, net("my-partner.com"))).toBe("denied");
    expect(stateOf(policy, net("a.partner.com.attacker.net"))).toBe("denied");
    expect(stateOf(policy, net("partner.com.attacker.net"))).toBe("denied");
  });

  it("a declared port is the only port", () => {
    expect(stateOf(policy, net("cdn.example.net:8443"))).toBe("granted");
    expect(stateOf(policy, net("cdn.example.net"))).toBe("denied");
    expect(stateOf(policy, net("https://cdn.example.net:8444/"))).toBe("denied");
  });

  it("https only, unless http://host is declared (which permits https too)", () => {
    expect(stateOf(policy, net("http://api.example.com"))).toBe("denied");
    expect(check(policy, net("http://api.example.com")).reason).toContain(
      'plain http needs "http://api.example.com" declared',
    );
    expect(stateOf(policy, net("http://plain.example.org"))).toBe("granted");
    expect(stateOf(policy, net("https://plain.example.org"))).toBe("granted");
    expect(stateOf(policy, net("http://plain.example.org:8080"))).toBe("denied");
  });

  it("lower-cases, strips a trailing dot and IDNA-encodes before matching", () => {
    expect(stateOf(policy, net("API.Example.COM"))).toBe("granted");
    expect(stateOf(policy, net("https://api.example.com./x"))).toBe("granted");
    expect(check(policy, net("https://API.EXAMPLE.com.")).resource).toBe("https://api.example.com");
    // Cyrillic "а" in place of the Latin one: a different host.
    expect(stateOf(policy, net("https://\u0430pi.example.com/"))).toBe("denied");
    const idn = policyFor('  net: ["bücher.example"]\n');
    expect(stateOf(idn, net("https://xn--bcher-kva.example/"))).toBe("granted");
    expect(stateOf(idn, net("https://BÜCHER.example/"))).toBe("granted");
  });

  it("IP literals, IPv6 in brackets, IPv4-mapped IPv6 and CIDR ranges", () => {
    expect(stateOf(policy, net("[2606:4700::1111]"))).toBe("granted");
    expect(stateOf(policy, net("https://[2606:4700:0:0:0:0:0:1111]/"))).toBe("granted");
    expect(stateOf(policy, net("8.8.8.8"))).toBe("granted");
    expect(stateOf(policy, net("[::ffff:8.8.8.8]"))).toBe("granted");
    expect(stateOf(policy, net("https://[::ffff:808:808]/"))).toBe("granted");
    expect(stateOf(policy, net("93.184.216.34"))).toBe("granted");
    expect(stateOf(policy, net("93.184.217.1"))).toBe("denied");
    expect(stateOf(policy, net("8.8.4.4"))).toBe("denied");
  });

  it("userinfo and backslashes are read the way fetch reads them", () => {
    expect(check(policy, net("https://api.example.com@evil.com/")).resource).toBe("https://evil.com");
    expect(stateOf(policy, net("https://api.example.com@evil.com/"))).toBe("denied");
    expect(stateOf(policy, net("https://evil.com\\@api.example.com/"))).toBe("denied");
    expect(() => decide(policy, net("api.example.com@evil.com"), 0)).toThrow(InvalidResourceError);
  });

  it("refuses what is not a host or URL", () => {
    expect(() => decide(policy, net(""), 0)).toThrow(InvalidResourceError);
    expect(() => decide(policy, net("https://"), 0)).toThrow(InvalidResourceError);
    expect(() => decide(policy, net("a b.com"), 0)).toThrow(InvalidResourceError);
    expect(() => decide(policy, net("api.example.com", "not-an-ip"), 0)).toThrow(InvalidResourceError);
  });
});

describe("always-blocked networks", () => {
  // The app declares every one of these; none may be reached.
  const forms = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0177.0.0.1",
    "0x7f.1",
    "0x7f000001",
    "0",
    "0.0.0.0",
    "[::]",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[64:ff9b::a00:1]",
    "[2002:a00:1::]",
    "169.254.169.254",
    "[fd00:ec2::254]",
    "100.100.100.200",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "255.255.255.255",
    "224.0.0.1",
    "[fe80::1]",
    "[fc00::1]",
    "[ff02::1]",
    "localhost",
    "app.localhost",
    "metadata.google.internal",
    "metadata",
    "printer.local",
  ];
  // Spellings of one address are one declaration (the manifest refuses duplicates).
  const declared = forms.filter((f) => !/^0x|^0177|^2130|^127\.1$|^0$|^\[::ffff:/.test(f));
  const policy = policyFor(`  net: [${declared.map((f) => JSON.stringify(f)).join(", ")}]\n`);

  it.each(forms)("%s is denied even when declared", (form) => {
    const d = check(policy, net(`https://${form}/`));
    expect(d.state).toBe("denied");
    expect(d.code).toBe("LOCARA_E_DENIED");
    expect(d.rule).toMatch(/^builtin net /);
    expect(d.reason).toContain("is always blocked");
  });

  it("public addresses embedded in NAT64 / 6to4 are not blocked by the embedding", () => {
    const p = policyFor('  net: ["[64:ff9b::808:808]", "[2002:808:808::]"]\n');
    expect(stateOf(p, net("[64:ff9b::808:808]"))).toBe("granted");
    expect(stateOf(p, net("[2002:808:808::]"))).toBe("granted");
  });

  it("non-http schemes are denied", () => {
    for (const url of [
      "file:///etc/passwd",
      "gopher://api.example.com/",
      "ftp://api.example.com/",
      "javascript:alert(1)",
    ]) {
      expect(stateOf(policyFor("  net: [api.example.com]\n"), net(url))).toBe("denied");
    }
  });

  it("a declared name that resolved to a private address is denied (DNS rebinding)", () => {
    const p = policyFor("  net: [api.example.com]\n");
    expect(stateOf(p, net("api.example.com", "93.184.216.34"))).toBe("granted");
    expect(stateOf(p, net("api.example.com", "127.0.0.1"))).toBe("denied");
    expect(stateOf(p, net("api.example.com", "::ffff:10.0.0.1"))).toBe("denied");
    expect(stateOf(p, net("api.example.com", "fd00:ec2::254"))).toBe("denied");
  });

  it("server rules can lift the block for an exact range, and only inside it", () => {
    const serverRules = { net: { allowPrivate: ["10.1.2.0/24", "127.0.0.1"] } };
    const p = policyFor('  net: ["10.1.2.3", "10.1.3.3", "127.0.0.1:8080", "localhost:8080"]\n', {
      serverRules,
    });
    expect(stateOf(p, net("10.1.2.3"))).toBe("granted");
    expect(stateOf(p, net("10.1.3.3"))).toBe("denied");
    expect(stateOf(p, net("127.0.0.1:8080"))).toBe("granted");
    // Names are never lifted: declare the address.
    expect(stateOf(p, net("localhost:8080"))).toBe("denied");
    // The app must still declare it.
    expect(stateOf(p, net("10.1.2.4"))).toBe("denied");
  });

  it("refuses server-allowed ranges that are not inside a blocked range", () => {
    for (const range of ["8.8.8.0/24", "0.0.0.0/0", "::/0", "nonsense"]) {
      expect(() =>
        policyFor("  net: [api.example.com]\n", { serverRules: { net: { allowPrivate: [range] } } }),
      ).toThrow(InvalidInputError);
    }
  });
});

describe("net deny rules", () => {
  const policy = policyFor(`  net: [api.example.com, "*.example.org", "api.example.com:8443"]
  deny:
    net: [bad.example.org, 93.184.216.34, "api.example.com:8443"]
`);

  it("cover every scheme and port unless they name a port", () => {
    expect(stateOf(policy, net("bad.example.org"))).toBe("denied");
    expect(stateOf(policy, net("https://bad.example.org:8443/"))).toBe("denied");
    expect(stateOf(policy, net("good.example.org"))).toBe("granted");
    expect(stateOf(policy, net("api.example.com:8443"))).toBe("denied");
    expect(stateOf(policy, net("api.example.com"))).toBe("granted");
  });

  it("a deny by address also covers a name that resolved to it", () => {
    expect(stateOf(policy, net("good.example.org", "93.184.216.34"))).toBe("denied");
    expect(stateOf(policy, net("good.example.org", "93.184.216.35"))).toBe("granted");
  });
});
