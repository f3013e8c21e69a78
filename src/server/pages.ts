/** Host pages: plain server-rendered HTML, no scripts, labelled fields, one strict policy. */
export const HOST_PAGE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy":
    "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; img-src 'self'",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

/** The host pages' one style sheet, served at /_locara/locara.css (no inline styles: the CSP forbids them). */
export const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff}
header{background:#1d3557;color:#fff;padding:.5rem 1.5rem}header nav{display:flex;gap:1rem;align-items:center}
header a{color:#fff;font-weight:600}header form{margin-left:auto}
main{max-width:72rem;padding:1rem 1.5rem}h1{margin:.5rem 0 1rem}h2{margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top}
caption{text-align:left;font-weight:600;padding:.3rem 0}code{background:#f2f2f2;padding:0 .2rem;border-radius:3px}
td form,li form{display:inline-block;margin:0 .3rem .3rem 0}button{font:inherit;padding:.25rem .7rem;border:1px solid #1d3557;background:#f1f4f9;border-radius:4px;cursor:pointer}
button:focus,a:focus,input:focus,select:focus{outline:3px solid #e76f51;outline-offset:2px}[role=alert]{color:#9b1c1c;font-weight:600}
input,select{font:inherit;padding:.2rem .4rem}ul{padding-left:1.2rem}li{margin:.5rem 0}`;

export const esc = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A whole host page: the one style sheet, an optional header (the console's navigation), the body. */
export function page(
  title: string,
  body: string,
  options: { header?: string; refresh?: number; suffix?: string } = {},
): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${
    options.refresh ? `<meta http-equiv="refresh" content="${options.refresh}">` : ""
  }<link rel="stylesheet" href="/_locara/locara.css"><title>${esc(title)} · ${options.suffix ?? "Locara"}</title></head>
<body>
${options.header ?? ""}<main>
<h1>${esc(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

export function unlockPage(options: { mount: string; next: string; csrf: string; error?: string }): string {
  return page(
    "Password required",
    `${options.error ? `<p role="alert">${esc(options.error)}</p>` : ""}
<p>This part of <code>${esc(options.mount)}</code> is open to anyone who knows its password.</p>
<form method="post" action="/_locara/unlock">
<input type="hidden" name="csrf" value="${esc(options.csrf)}">
<input type="hidden" name="mount" value="${esc(options.mount)}">
<input type="hidden" name="next" value="${esc(options.next)}">
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required autofocus></p>
<p><button type="submit">Open</button></p>
</form>`,
  );
}

export function signInPage(options: { next: string; csrf: string; error?: string }): string {
  return page(
    "Sign in",
    `${options.error ? `<p role="alert">${esc(options.error)}</p>` : ""}
<p>Sign in as the owner of this Locara host.</p>
<form method="post" action="/_locara/sign-in">
<input type="hidden" name="csrf" value="${esc(options.csrf)}">
<input type="hidden" name="next" value="${esc(options.next)}">
<p><label for="name">Name</label><br><input id="name" name="name" autocomplete="username" value="owner" required></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required autofocus></p>
<p><button type="submit">Sign in</button></p>
</form>`,
  );
}
