import { promises as fs } from "node:fs";
import path from "node:path";
import { isMountPoint } from "@particle/runtime";
import { requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { usrOverlay } from "../src/index.js";

beforeAll(() => requireRoot());

describe("usroverlay", () => {
  it("makes /usr writable with a tmpfs upper (changes land in the upper), idempotently", async () => {
    const dir = await scratchDir("bootc-usroverlay");
    const usr = path.join(dir, "usr");
    await fs.mkdir(path.join(usr, "bin"), { recursive: true });
    await fs.writeFile(path.join(usr, "bin/tool"), "v1\n");
    const runDir = path.join(dir, "run/usr-overlay");
    const first = await usrOverlay({ usr, runDir });
    expect(first.alreadyActive).toBe(false);
    await fs.writeFile(path.join(usr, "bin/tool"), "patched\n");
    expect(await fs.readFile(path.join(first.upper, "bin/tool"), "utf8")).toBe("patched\n");
    expect((await usrOverlay({ usr, runDir })).alreadyActive).toBe(true);
  });

  it("a failed overlay leaves nothing mounted, so a retry does not report it active", async () => {
    const dir = await scratchDir("bootc-usroverlay-fail");
    const usr = path.join(dir, "no-usr");
    const runDir = path.join(dir, "run/usr-overlay");
    await expect(usrOverlay({ usr, runDir })).rejects.toThrow();
    expect(await isMountPoint(runDir)).toBe(false);
    await expect(usrOverlay({ usr, runDir })).rejects.toThrow();
  });
});
