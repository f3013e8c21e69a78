import { q, type ScopeResult, scopeError, scopeOk, type TopicScope } from "./types.ts";

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** A dotted topic; `*` stands for exactly one segment. A topic of only `*` segments is refused. */
export function parseTopicScope(text: string): ScopeResult<TopicScope> {
  const segments = text.split(".");
  for (const s of segments) {
    if (s !== "*" && !SEGMENT.test(s)) {
      return scopeError(
        `${q(text)} is not a topic: use dotted segments of letters, digits, "_" and "-", or "*" for one segment`,
      );
    }
  }
  if (segments.every((s) => s === "*"))
    return scopeError(`${q(text)} would match every topic: name at least one segment`);
  return scopeOk({ type: "topic", segments }, text);
}
