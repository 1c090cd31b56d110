import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runIsolated } from "../src/isolate.js";

describe("runIsolated", () => {
  it("runs-a-program-with-only-the-sandbox-capabilities-and-no-new-privileges", async () => {
    // The host's own root as the sandbox's root: the program is the host's, the namespaces are new.
    const { stdout } = await runIsolated(
      ["sh", "-c", "grep -E '^(CapEff|CapPrm|NoNewPrivs):' /proc/self/status"],
      {
        root: "/",
      },
    );
    // CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETFCAP: bits 0 1 3 4 5 6 7 31.
    expect(stdout).toMatch(/^CapPrm:\s+00000000800000fb$/m);
    expect(stdout).toMatch(/^CapEff:\s+00000000800000fb$/m);
    expect(stdout).toMatch(/^NoNewPrivs:\s+1$/m);
  });

  it("reports-the-program-failing-as-exec-failed", async () => {
    await expect(runIsolated(["sh", "-c", "exit 3"], { root: "/" })).rejects.toMatchObject({
      code: "EXEC_FAILED",
      context: { exitCode: 3 },
    });
  });

  it("reports-a-sandbox-that-cannot-be-set-up-with-a-hint", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "isolate-"));
    try {
      await expect(runIsolated(["true"], { root: path.join(dir, "missing") })).rejects.toMatchObject({
        code: "SANDBOX_FAILED",
        message: expect.stringContaining("could not be set up"),
        hint: expect.stringContaining("mount --bind DIR DIR"),
      });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
