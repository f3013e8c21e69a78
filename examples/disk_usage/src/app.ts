// Clace's disk-usage app for Locara: a page listing the size of each folder under a chosen folder.
// It may run `readlink -f -- PATH` and `du -sh -- PATH` (nothing else, no other arguments) and read
// the folders its manifest names; everything else it might try is refused by the host.
import { readDir } from "locara:fs";
import { run } from "locara:run";

interface Row {
  readonly name: string;
  readonly size: string;
}

const html = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(folder: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Disk usage of ${html(folder)}</title>
<style>body{font:16px system-ui,sans-serif;margin:2rem;max-width:48rem}td{padding:.2rem 1rem}td.size{text-align:right}</style></head>
<body>
<h1>Disk usage</h1>
<form method="get"><label for="folder">Folder</label> <input id="folder" name="folder" value="${html(folder)}" size="40"> <button>Show</button></form>
${body}
</body>
</html>`;
}

/** The sizes of the folders directly under `folder` (resolved to its real path first). */
async function usage(folder: string): Promise<{ real: string; rows: Row[] }> {
  const real = (await run("readlink", ["-f", "--", folder])).stdout.trim();
  const entries = (await readDir(real)) as { name: string; type: string }[];
  const rows: Row[] = [];
  for (const entry of entries.filter((e) => e.type === "dir")) {
    const du = await run("du", ["-sh", "--", `${real}/${entry.name}`]);
    rows.push({ name: entry.name, size: du.code === 0 ? du.stdout.split("\t")[0]! : "?" });
  }
  return { real, rows };
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const folder = url.searchParams.get("folder") || "/tmp";
    const json = url.searchParams.get("format") === "json";
    try {
      const { real, rows } = await usage(folder);
      if (json) return Response.json({ folder: real, rows });
      const table = rows.length
        ? `<table><thead><tr><th>Folder</th><th>Size</th></tr></thead><tbody>${rows
            .map((r) => `<tr><td>${html(r.name)}</td><td class="size">${html(r.size)}</td></tr>`)
            .join("")}</tbody></table>`
        : "<p>No folders here.</p>";
      return new Response(page(real, `<h2>${html(real)}</h2>${table}`), {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    } catch (error) {
      const e = error as Error & { code?: string };
      if (json) return Response.json({ error: e.code ?? "error", message: e.message }, { status: 403 });
      return new Response(page(folder, `<p role="alert">${html(e.message)}</p>`), {
        status: 403,
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    }
  },
};
