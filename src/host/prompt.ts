import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline/promises";
import type { CapabilityKind } from "../manifest/kinds.ts";
import type { Decision, Grant, GrantTerm } from "../policy/types.ts";

export interface Answer {
  readonly effect: "allow" | "deny";
  readonly term: GrantTerm;
  /** For term `until`: epoch ms. */
  readonly until?: number;
}

export const DEFAULT_DAYS = 30;

/** A person's answer as the grant that records it, covering exactly `scope`. */
export function grantFromAnswer(answer: Answer, kind: CapabilityKind, scope: unknown, by: string): Grant {
  return {
    id: `g-${randomUUID().slice(0, 8)}`,
    kind,
    scope,
    effect: answer.effect,
    term: answer.term,
    ...(answer.until === undefined ? {} : { until: new Date(answer.until).toISOString() }),
    createdAt: new Date().toISOString(),
    by,
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Control characters (and the bidi overrides) in app-supplied text, made visible instead of obeyed. */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Whether this process can ask a person: stdin and stderr are terminals and CI is not set. */
export function canPrompt(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true && !env.CI;
}

const CHOICES = `[d] deny  [o] allow once  [t] allow for ${DEFAULT_DAYS} days  [a] allow always  [n] deny always`;

export interface Prompter {
  ask(decision: Decision): Promise<Answer>;
  /** Release the terminal; the process must not wait on it afterwards. */
  close(): void;
}

/**
 * Ask on stderr, one question at a time, reading answers from one line reader for the whole run
 * (so answers typed ahead are kept in order). Anything but a recognised choice, including the
 * end of input, is "deny": a prompt never allows by default and never waits on a closed terminal.
 */
export function terminalPrompter(now: () => number = Date.now): Prompter {
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let closed = false;
  let rl: ReturnType<typeof createInterface> | undefined;
  const reader = () => {
    if (!rl) {
      rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
      rl.on("line", (line) => {
        const waiter = waiting.shift();
        if (waiter) waiter(line);
        else lines.push(line);
      });
      rl.on("close", () => {
        closed = true;
        for (const waiter of waiting.splice(0)) waiter("");
      });
      // The terminal is in raw mode while the reader is open, so Ctrl-C reaches readline, not
      // the process: pass it on as the signal the person meant (a pending question is denied).
      rl.on("SIGINT", () => {
        for (const waiter of waiting.splice(0)) waiter("");
        process.kill(process.pid, "SIGINT");
      });
    }
    return rl;
  };
  const nextLine = (): Promise<string> => {
    const line = lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (closed) return Promise.resolve("");
    return new Promise((resolve) => waiting.push(resolve));
  };
  let queue: Promise<unknown> = Promise.resolve();
  return {
    ask(decision) {
      const asked = queue.then(async (): Promise<Answer> => {
        reader();
        process.stderr.write(`\n${visible(decision.reason)}\n${CHOICES} > `);
        switch ((await nextLine()).trim().toLowerCase()) {
          case "o":
            return { effect: "allow", term: "once" };
          case "t":
            return { effect: "allow", term: "until", until: now() + DEFAULT_DAYS * 86_400_000 };
          case "a":
            return { effect: "allow", term: "always" };
          case "n":
            return { effect: "deny", term: "always" };
          default:
            return { effect: "deny", term: "once" };
        }
      });
      queue = asked.catch(() => undefined);
      return asked;
    },
    close() {
      rl?.close();
    },
  };
}
