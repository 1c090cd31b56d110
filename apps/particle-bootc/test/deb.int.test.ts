import path from "node:path";
import { run, runBinary } from "@particle/runtime";
import { scratchDir } from "@particle/test-kit";
import { describe, expect, it } from "vitest";

const BUILD = path.resolve(import.meta.dirname, "../../../packaging/deb/build-deb.mjs");

describe("the particle-os .deb", () => {
  it("packs every bundled CLI, the boot integration and the units, depending on the distribution's nodejs", async () => {
    const out = await scratchDir("bootc-deb");
    const deb = (await run("node", [BUILD, "--out", out, "--version", "9.8.7"])).stdout.trim();
    expect(path.basename(deb)).toBe("particle-os_9.8.7_all.deb");
    const field = async (name: string) => (await run("dpkg-deb", ["--field", deb, name])).stdout;
    expect(await field("Architecture")).toBe("all");
    expect(await field("Depends")).toMatch(/^nodejs \(>= 18\), attr/);
    const contents = (await run("dpkg-deb", ["--contents", deb])).stdout;
    for (const file of [
      "./usr/bin/particle-bootc -> ../lib/particle/bin/particle-bootc.mjs",
      "./usr/lib/particle/bin/particle-bootc.mjs",
      "./usr/share/initramfs-tools/hooks/particle",
      "./usr/share/initramfs-tools/scripts/local-bottom/particle",
      "./usr/lib/systemd/system/particle-boot-complete.service",
      "./usr/lib/systemd/system/particle-finalize-staged.path",
      "./usr/lib/systemd/system/particle-finalize-staged.service",
      "./usr/lib/systemd/system/particle-bootc-fetch.timer",
      "./sysroot/",
    ]) {
      expect(contents).toContain(file);
    }
    expect(contents).toMatch(
      /^-rwxr-xr-x root\/root .* \.\/usr\/share\/initramfs-tools\/scripts\/local-bottom\/particle$/m,
    );
    const control = await runBinary("dpkg-deb", ["--ctrl-tarfile", deb]);
    const postinst = (await run("tar", ["-xO", "./postinst"], { input: control })).stdout;
    expect(postinst).toContain("update-initramfs -u -k all");
  });
});
