import { describe, expect, it } from "vitest";
import { visible } from "./prompt.ts";

describe("prompt text", () => {
  it("shows control characters and bidi overrides an app supplied instead of letting them act on the terminal", () => {
    expect(visible('read "/tmp/x\u001b[2K\rapproved.txt"')).toBe(
      'read "/tmp/x\\u001b[2K\\u000dapproved.txt"',
    );
    expect(visible("evil\u202egnp.exe")).toBe("evil\\u202egnp.exe");
    expect(visible("plain /home/ada/notes.txt")).toBe("plain /home/ada/notes.txt");
  });
});
