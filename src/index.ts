export * from "./errors.ts";
export * from "./manifest/index.ts";
export * from "./policy/index.ts";
