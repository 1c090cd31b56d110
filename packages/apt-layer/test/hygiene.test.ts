import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cleanUpper, parseGetfattr } from "../src/build/hygiene.js";

describe("parseGetfattr", () => {
  it("reads files and attribute names, unescaping octal in paths", () => {
    const text =
      '# file: /u\n trusted.overlay.uuid\ntrusted.overlay.impure\n\n# file: /u/a\\040b\ntrusted.overlay.opaque="y"\n';
    expect(parseGetfattr(text.replace("\n trusted", "\ntrusted"))).toEqual([
      { file: "/u", name: "trusted.overlay.uuid" },
      { file: "/u", name: "trusted.overlay.impure" },
      { file: "/u/a b", name: "trusted.overlay.opaque" },
    ]);
  });
});

describe("cleanUpper", () => {
  it("removes caches, logs and machine identity but keeps package-owned directories", async () => {
    const upper = await fs.mkdtemp(path.join(os.tmpdir(), "hygiene-"));
    try {
      const files: Record<string, string> = {
        "var/log/apt/history.log": "x",
        "var/log/nginx/.keep-dir-only": "x",
        "var/cache/apt/pkgcache.bin": "x",
        "var/cache/apt/archives/jq_1.6_amd64.deb": "x",
        "var/lib/dpkg/status-old": "x",
        "var/lib/dpkg/status": "Package: jq\n",
        "etc/machine-id": "0123456789abcdef0123456789abcdef\n",
        "etc/ssh/ssh_host_ed25519_key": "secret",
        "etc/ssh/ssh_host_ed25519_key.pub": "public",
        "etc/ssh/sshd_config": "kept",
        "tmp/scratch": "x",
        "usr/bin/jq": "binary",
      };
      for (const [rel, content] of Object.entries(files)) {
        await fs.mkdir(path.dirname(path.join(upper, rel)), { recursive: true });
        await fs.writeFile(path.join(upper, rel), content);
      }
      await cleanUpper(upper);
      const left = async (rel: string) =>
        fs.access(path.join(upper, rel)).then(
          () => true,
          () => false,
        );
      for (const gone of [
        "var/log/apt/history.log",
        "var/cache/apt/pkgcache.bin",
        "var/cache/apt/archives/jq_1.6_amd64.deb",
        "var/lib/dpkg/status-old",
        "etc/ssh/ssh_host_ed25519_key",
        "etc/ssh/ssh_host_ed25519_key.pub",
        "tmp/scratch",
      ]) {
        expect(await left(gone), gone).toBe(false);
      }
      for (const kept of [
        "var/log/nginx",
        "var/log/apt",
        "var/lib/dpkg/status",
        "etc/ssh/sshd_config",
        "usr/bin/jq",
      ]) {
        expect(await left(kept), kept).toBe(true);
      }
      expect(await fs.readFile(path.join(upper, "etc/machine-id"), "utf8")).toBe("");
    } finally {
      await fs.rm(upper, { recursive: true, force: true });
    }
  });

  it("fails on a directory it cannot read instead of shipping what is in it", async () => {
    const upper = await fs.mkdtemp(path.join(os.tmpdir(), "hygiene-"));
    try {
      await fs.mkdir(path.join(upper, "var"), { recursive: true });
      // A symlink loop where var/log should be: reading it fails with ELOOP, which is not "absent".
      await fs.symlink("log", path.join(upper, "var/log"));
      await expect(cleanUpper(upper)).rejects.toMatchObject({ code: "ELOOP" });
    } finally {
      await fs.rm(upper, { recursive: true, force: true });
    }
  });
});
