import { describe, expect, it } from "vitest";
import { causeChain, ExitCode, fromSystemError, ParticleError, withContext } from "../src/index.js";

describe("ParticleError", () => {
  it("carries code, hint, context and the exit code of its kind", () => {
    const error = new ParticleError({
      code: "LOCK_HELD",
      message: "locked",
      hint: "wait",
      exit: "locked",
      context: { pid: 4 },
    });
    expect(error.exitCode).toBe(ExitCode.locked);
    expect(error.toJSON()).toEqual({
      code: "LOCK_HELD",
      message: "locked",
      hint: "wait",
      context: { pid: 4 },
      causes: [],
    });
  });

  it("defaults to the generic failure exit code", () => {
    expect(new ParticleError({ code: "X", message: "m" }).exitCode).toBe(1);
  });

  it("lists the cause chain outermost first", () => {
    const inner = new Error("disk on fire");
    const outer = new ParticleError({ code: "IO_FAILED", message: "writing layer", cause: inner });
    expect(causeChain(outer)).toEqual(["writing layer", "disk on fire"]);
  });

  it("withContext labels the failing step and keeps the code of a ParticleError", async () => {
    const failing = withContext("Staging", async () => {
      throw new ParticleError({ code: "NO_SPACE", message: "disk full", exit: "noSpace" });
    });
    await expect(failing).rejects.toMatchObject({
      code: "NO_SPACE",
      message: "Staging: disk full",
      exitCode: ExitCode.noSpace,
    });
  });

  it("maps ENOSPC to NO_SPACE with a hint", () => {
    const error = fromSystemError(Object.assign(new Error("x"), { code: "ENOSPC" }), "writing blob", "/s/b");
    expect(error.code).toBe("NO_SPACE");
    expect(error.hint).toMatch(/Free space/);
    expect(error.context.path).toBe("/s/b");
  });
});
