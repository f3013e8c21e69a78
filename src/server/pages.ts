/** Host pages: plain server-rendered HTML, no scripts, labelled fields, one strict policy. */
export const HOST_PAGE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy":
    "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; img-src 'self'",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

export const esc = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)} · Locara</title></head>
<body>
<main>
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
