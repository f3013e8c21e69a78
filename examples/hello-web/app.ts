import { get } from "locara:env";
import { readTextFile } from "locara:fs";

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/secret") {
      // Not declared in locara.yaml: refused by the host, whatever the code asks for.
      try {
        return new Response(await readTextFile("~/.ssh/id_rsa"));
      } catch (error) {
        return Response.json({ refused: (error as Error & { code?: string }).code }, { status: 403 });
      }
    }
    const name = url.searchParams.get("name") ?? (await get("USER")) ?? "world";
    return new Response(`hello, ${name}\n`);
  },
};
