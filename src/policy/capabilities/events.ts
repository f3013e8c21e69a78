import { InvalidResourceError } from "../../errors.ts";
import type { TopicScope } from "../../manifest/scopes/types.ts";
import { defineCapability } from "../capability.ts";

const SEGMENT = /^(?:[A-Za-z0-9_-]+|\*)$/;

/**
 * A requested topic may itself contain `*` (a subscription pattern); it is covered only where the
 * scope has `*` in the same place, so a pattern can never reach more than the scope does.
 */
function eventsCapability(kind: "events.publish" | "events.subscribe", verb: string) {
  return defineCapability<TopicScope, readonly string[]>({
    kind,
    verb,
    normalize(request) {
      const topic = request.resource;
      const segments = typeof topic === "string" ? topic.split(".") : [];
      if (segments.length === 0 || !segments.every((s) => SEGMENT.test(s))) {
        throw new InvalidResourceError(kind, topic, 'give a dotted topic such as "orders.created"');
      }
      if (kind === "events.publish" && segments.includes("*")) {
        throw new InvalidResourceError(kind, topic, "publish to a concrete topic, without *");
      }
      return segments;
    },
    compile(rules) {
      const exact = new Map<string, number>();
      const patterns: { index: number; segments: readonly string[] }[] = [];
      rules.forEach(({ scope }, index) => {
        if (scope.segments.includes("*")) patterns.push({ index, segments: scope.segments });
        else if (!exact.has(scope.segments.join("."))) exact.set(scope.segments.join("."), index);
      });
      return (segments) => {
        let best = segments.includes("*") ? -1 : (exact.get(segments.join(".")) ?? -1);
        for (const p of patterns) {
          if ((best >= 0 && p.index > best) || p.segments.length !== segments.length) continue;
          if (p.segments.every((s, i) => s === "*" || s === segments[i])) best = p.index;
        }
        return best;
      };
    },
    describe: (segments) => segments.join("."),
    scopeFor: (segments) => segments.join("."),
  });
}

export const eventsPublish = eventsCapability("events.publish", "publish to");
export const eventsSubscribe = eventsCapability("events.subscribe", "subscribe to");
