import { describe, expect, it } from "vitest";
import { displayCommand, run, runBinary, succeeds } from "../src/index.js";

describe("run", () => {
  it("passes arguments without a shell", async () => {
    const { stdout } = await run("printf", ["%s|", "a b", "$(id)", ";rm -rf /"]);
    expect(stdout).toBe("a b|$(id)|;rm -rf /|");
  });

  it("turns a non-zero exit into EXEC_FAILED with the end of stderr", async () => {
    await expect(run("sh", ["-c", "echo first >&2; echo 'the reason' >&2; exit 3"])).rejects.toMatchObject({
      code: "EXEC_FAILED",
      message: "sh exited with code 3: the reason",
      context: { exitCode: 3 },
    });
  });

  it("names the Debian package of a missing tool", async () => {
    await expect(run("mksquashfs-not-here", [])).rejects.toMatchObject({ code: "TOOL_MISSING" });
    const error = await run("/nonexistent/mksquashfs", []).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "TOOL_MISSING", hint: "Install it: apt-get install squashfs-tools" });
  });

  it("returns binary output byte for byte", async () => {
    const out = await runBinary("printf", ["\\000\\377\\001"]);
    expect([...out]).toEqual([0, 255, 1]);
  });

  it("succeeds reports the exit status", async () => {
    expect(await succeeds("true", [])).toBe(true);
    expect(await succeeds("false", [])).toBe(false);
  });

  it("quotes commands for display", () => {
    expect(displayCommand("mount", ["-o", "ro,loop", "a b"])).toBe("mount -o ro,loop 'a b'");
  });
});
