import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { bootloader, bootloaders } from "../src/index.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
});

/** A fake image: the given files (empty) and a dpkg status listing the given packages as installed. */
async function fakeImage(
  files: readonly string[],
  packages: Readonly<Record<string, string>>,
): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "bootupd-detect-"));
  dirs.push(root);
  for (const file of [...files, "var/lib/dpkg/status"]) {
    await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await fs.writeFile(path.join(root, file), "");
  }
  const status = Object.entries(packages)
    .map(([name, version]) => `Package: ${name}\nStatus: install ok installed\nVersion: ${version}\n`)
    .join("\n");
  await fs.writeFile(path.join(root, "var/lib/dpkg/status"), status);
  return root;
}

describe("detect", () => {
  it("names-the-first-missing-file-and-its-package-for-every-backend", async () => {
    const empty = await fakeImage([], {});
    const found = await Promise.all(bootloaders.map((b) => b.detect(empty)));
    expect(Object.fromEntries(found.map((d) => [d.backend, d.missing]))).toEqual({
      "systemd-boot": "/usr/lib/systemd/boot/efi/systemd-bootx64.efi (systemd-boot-efi)",
      "grub-efi": "/usr/lib/grub/x86_64-efi/normal.mod (grub-efi-amd64-bin)",
      "grub-bios": "/usr/lib/grub/i386-pc/boot.img (grub-pc-bin)",
      extlinux: "/usr/bin/extlinux (extlinux)",
      lilo: "/sbin/lilo (lilo, not packaged by Debian 12 / Ubuntu 24.04)",
    });
    expect(found.every((d) => !d.available && Object.keys(d.packages).length === 0)).toBe(true);
  });

  it("reads-the-versions-of-the-packages-the-secure-boot-chain-comes-from", async () => {
    const image = await fakeImage(
      [
        "usr/lib/shim/shimx64.efi",
        "usr/lib/shim/mmx64.efi",
        "usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed",
      ],
      { "shim-unsigned": "15.8-1", "grub-efi-amd64-signed": "1+2.06+13", "grub-efi-amd64-bin": "2.06-13" },
    );
    const grubEfi = bootloader("grub-efi");
    const signing = { key: "/k.pem", cert: "/c.pem" };
    expect(await grubEfi.detect(image, { secureBoot: true, signing })).toEqual({
      backend: "grub-efi",
      available: true,
      packages: { "shim-unsigned": "15.8-1", "grub-efi-amd64-signed": "1+2.06+13" },
    });
    expect(grubEfi.packages({ secureBoot: true, signing })).toEqual([
      "shim-unsigned",
      "grub-efi-amd64-signed",
    ]);
    expect(grubEfi.packages({ secureBoot: true })).toEqual([
      "shim-signed",
      "shim-helpers-amd64-signed",
      "grub-efi-amd64-signed",
    ]);
    // Without a user's key the distribution-signed shim is needed, and this image lacks it.
    expect(await grubEfi.detect(image, { secureBoot: true })).toMatchObject({
      available: false,
      missing: "/usr/lib/shim/shimx64.efi.signed (shim-signed)",
    });
  });
});
