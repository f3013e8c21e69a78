const names = Reflect.ownKeys(globalThis).map(String);
const host = names.filter((n) =>
  /^(process|require|module|exports|Buffer|global|__filename|__dirname|fetch|XMLHttpRequest|Deno|Bun)$/.test(
    n,
  ),
);
export default host.length ? "ESCAPED: " + host : "contained";
