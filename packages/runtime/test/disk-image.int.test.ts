import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { listFat, readFatFile, readPartitions, run, writeDiskImage } from "../src/index.js";

// The runtime sits below @particle/test-kit, so it keeps its own minimal scratch helper.
async function scratchDir(name: string): Promise<string> {
  await fs.mkdir("/var/tmp/particle-tests", { recursive: true });
  const dir = await fs.mkdtemp(path.join("/var/tmp/particle-tests", `${name}-`));
  onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** blkid's view of the filesystem at a byte offset of a disk image. */
async function probe(disk: string, offset: number): Promise<Record<string, string>> {
  const { stdout } = await run("blkid", ["-p", "-O", String(offset), "-o", "export", disk]);
  return Object.fromEntries(
    stdout
      .trim()
      .split("\n")
      .map((l) => l.split("=", 2) as [string, string]),
  );
}

describe("writeDiskImage", () => {
  it("writes-a-gpt-with-a-filled-esp-and-an-ext4-root-offline", async () => {
    const dir = await scratchDir("disk-image");
    const esp = path.join(dir, "esp");
    await fs.mkdir(path.join(esp, "EFI/BOOT"), { recursive: true });
    await fs.writeFile(path.join(esp, "EFI/BOOT/BOOTX64.EFI"), "loader");
    const root = path.join(dir, "root");
    await fs.mkdir(path.join(root, "etc"), { recursive: true });
    await fs.writeFile(path.join(root, "etc/hostname"), "particle\n");
    const disk = path.join(dir, "disk.img");
    await fs.writeFile(disk, "an old image is replaced");
    const uuid = "0b5c7d43-2f4e-4a59-9d55-8d7b1b6c2a10";

    const table = await writeDiskImage(disk, [
      {
        sizeMiB: 40,
        type: "esp",
        name: "ESP",
        content: { type: "vfat", dir: esp, fatSize: 16, volumeId: "50A71C1E" },
      },
      {
        sizeMiB: 16,
        type: "linux",
        name: "root",
        content: { type: "ext4", dir: root, uuid, label: "particle-root" },
      },
    ]);

    expect((await fs.stat(disk)).size).toBe((2 + 40 + 16) * 1024 * 1024);
    expect(await readPartitions(disk)).toEqual(table);
    expect(table.map((p) => [p.number, p.offset, p.size])).toEqual([
      [1, 1024 * 1024, 40 * 1024 * 1024],
      [2, 41 * 1024 * 1024, 16 * 1024 * 1024],
    ]);
    const [espPart, rootPart] = table as [(typeof table)[0], (typeof table)[0]];
    expect(await listFat(disk, espPart)).toEqual(["EFI", "EFI/BOOT", "EFI/BOOT/BOOTX64.EFI"]);
    expect((await readFatFile(disk, espPart, "EFI/BOOT/BOOTX64.EFI")).toString()).toBe("loader");
    expect(await probe(disk, espPart.offset)).toMatchObject({
      TYPE: "vfat",
      VERSION: "FAT16",
      UUID: "50A7-1C1E",
    });
    expect(await probe(disk, rootPart.offset)).toMatchObject({
      TYPE: "ext4",
      UUID: uuid,
      LABEL: "particle-root",
    });
    const { stdout } = await run("debugfs", ["-R", "cat /etc/hostname", `${disk}?offset=${rootPart.offset}`]);
    expect(stdout.trim()).toBe("particle"); // run() trims the output
    // The staged ext4 file is gone.
    expect((await fs.readdir(dir)).sort()).toEqual(["disk.img", "esp", "root"]);
  });
});
