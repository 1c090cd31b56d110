import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import { run } from "@particle/runtime";
import { requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { extractTar, readTar } from "../src/index.js";
import { CAPABILITY, dir, file, hardlink, makeTar } from "./fixtures/archives.js";

/** The file's security.capability as getfattr (the peer, not our codec) reads it, in hex. */
async function capabilityOf(file: string): Promise<string> {
  const { stdout } = await run("getfattr", [
    "-n",
    "security.capability",
    "-e",
    "hex",
    "--absolute-names",
    file,
  ]);
  return /security\.capability=0x([0-9a-f]+)/.exec(stdout)?.[1] ?? `(none in: ${stdout})`;
}

/** Our tar codec against GNU tar: each reads what the other writes, xattrs byte for byte. */
describe("tar interop with GNU tar", () => {
  beforeAll(() => requireRoot());

  it("GNU tar extracts our archive with the binary capability intact", async () => {
    const scratch = await scratchDir("tar-gnu-read");
    const archive = path.join(scratch, "ours.tar");
    await fs.writeFile(
      archive,
      await makeTar([
        dir("bin"),
        file("bin/ping", "ELF", {
          mode: 0o755,
          xattrs: { "security.capability": CAPABILITY, "user.note": Buffer.from([0, 255, 1]) },
        }),
        hardlink("bin/ping6", "bin/ping"),
        file(`long/${"n".repeat(150)}/ü-file`, "long\n"),
      ]),
    );
    const out = path.join(scratch, "out");
    await fs.mkdir(out);
    await run("tar", ["--xattrs", "--xattrs-include=*", "-xpf", archive, "-C", out]);
    expect(await capabilityOf(path.join(out, "bin/ping"))).toBe(CAPABILITY.toString("hex"));
    expect((await fs.stat(path.join(out, "bin/ping6"))).ino).toBe(
      (await fs.stat(path.join(out, "bin/ping"))).ino,
    );
    expect(await fs.readFile(path.join(out, `long/${"n".repeat(150)}/ü-file`), "utf8")).toBe("long\n");
  });

  it("we extract GNU tar's PAX archive with the binary capability intact", async () => {
    const scratch = await scratchDir("tar-gnu-write");
    const src = path.join(scratch, "src");
    await fs.mkdir(path.join(src, "bin"), { recursive: true });
    await fs.writeFile(path.join(src, "bin/ping"), "ELF");
    await run("setfattr", [
      "-n",
      "security.capability",
      "-v",
      `0x${CAPABILITY.toString("hex")}`,
      path.join(src, "bin/ping"),
    ]);
    const archive = path.join(scratch, "gnu.tar");
    await run("tar", ["--format=pax", "--xattrs", "--xattrs-include=*", "-cf", archive, "-C", src, "."]);
    const out = path.join(scratch, "out");
    await fs.mkdir(out);
    await extractTar(readTar(createReadStream(archive)), out);
    expect(await capabilityOf(path.join(out, "bin/ping"))).toBe(CAPABILITY.toString("hex"));
  });
});
