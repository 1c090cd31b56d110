import { promises as fs } from "node:fs";
import path from "node:path";
import { openStore } from "@particle/apt-layer";
import { mountsBelow, run, sha256File } from "@particle/runtime";
import { debianRootfs, destroyScratch, requireRoot, scratchDir } from "@particle/test-kit";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE, cliEnv } from "./cli-env.js";

/**
 * The one real recipe build of CI: recipes/minimal-server.yaml, bootable, on Debian 13, through the
 * bundled CLIs as a user runs them, with the particle-os .deb that packaging/deb builds from this
 * tree. compose lints the result (particle-bootc container lint) before it tags it.
 */
const REPO = path.resolve(__dirname, "../../..");
const APT_LAYER = path.join(REPO, "apps/apt-layer/dist/apt-layer.mjs");
const BOOTC = path.join(REPO, "apps/particle-bootc/dist/particle-bootc.mjs");
const RECIPE = path.join(REPO, "recipes/minimal-server.yaml");
/** This test took 20.5 minutes (a cold compose 18) on 2 cores at load 25-37; 3x that as the hang guard. */
const BUILD_TIMEOUT_MS = 60 * 60_000;

let dir: string;
let env: Record<string, string>;
let particleDeb: string;

function cli(bin: string, args: string[]) {
  return execa("node", [bin, ...args], { reject: false, env });
}

/** `apt-layer compose` of a recipe on the cached trixie base, with the particle-os .deb of this tree. */
function compose(recipe: string, ...extra: string[]) {
  return cli(APT_LAYER, ["compose", recipe, "--base-image", BASE, "--particle-deb", particleDeb, ...extra]);
}

beforeAll(async () => {
  requireRoot();
  dir = await scratchDir("apt-layer-bootable", { scope: "manual" });
  env = cliEnv(dir);
  particleDeb = (
    await run("node", [path.join(REPO, "packaging/deb/build-deb.mjs"), "--out", dir])
  ).stdout.trim();
  const imported = await cli(APT_LAYER, ["import-rootfs", await debianRootfs(), BASE]);
  expect(imported.exitCode).toBe(0);
});
afterAll(async () => {
  if (dir) await destroyScratch(dir);
});

describe("the bootable minimal-server recipe", () => {
  it(
    "composes-on-trixie-with-kernel-bootloaders-and-boot-integration-and-passes-container-lint",
    async () => {
      const composed = await compose(RECIPE, "--json");
      expect(composed.stderr).toBe("");
      expect(composed.exitCode).toBe(0);
      const result = JSON.parse(composed.stdout);
      expect(result.image).toBe("particle/minimal-server:trixie");
      expect(result.steps.map((s: { kind: string }) => s.kind)).toEqual([
        "packages",
        "local-packages",
        "files",
        "users",
        "units",
        "script",
      ]);

      const list = JSON.parse(
        (await cli(APT_LAYER, ["list", "particle/minimal-server:trixie", "--json"])).stdout,
      );
      const names = list.packages.map((p: { name: string }) => p.name);
      // What `bootable: true` adds from the trixie profile, with the recipe's own packages.
      expect(names).toEqual(
        expect.arrayContaining([
          "linux-image-amd64",
          "systemd-sysv",
          "initramfs-tools",
          "grub-efi-amd64-bin",
          "grub-pc-bin",
          "shim-signed",
          "grub-efi-amd64-signed",
          "systemd-boot-efi",
          "systemd-boot-efi-amd64-signed",
          "openssh-server",
          "nodejs",
        ]),
      );
      // The boot integration came in through the local-.deb path, recorded with its digest.
      expect(list.packages.find((p: { name: string }) => p.name === "particle-os")).toMatchObject({
        origin: "local",
        sha256: await sha256File(particleDeb),
      });

      // What compose already checked, asked again the way a user would before installing.
      const lint = await cli(BOOTC, ["container", "lint", "particle/minimal-server:trixie", "--json"]);
      expect(lint.exitCode).toBe(0);
      expect(
        JSON.parse(lint.stdout)
          .results.filter((r: { level: string }) => r.level === "fatal")
          .map((r: { id: string; status: string }) => [r.id, r.status]),
      ).toEqual([
        ["kernel", "passed"],
        ["systemd", "passed"],
        ["boot-integration", "passed"],
        ["state-directories", "passed"],
      ]);

      const view = path.join(dir, "view");
      await fs.mkdir(view);
      const store = await openStore(env.PARTICLE_PATHS_STORE as string, {
        runDir: env.PARTICLE_PATHS_RUN as string,
      });
      await store.mount("particle/minimal-server:trixie", view);
      try {
        expect(
          await fs.readFile(path.join(view, "etc/ssh/sshd_config.d/10-particle.conf"), "utf8"),
        ).toContain("PasswordAuthentication no");
        expect(await fs.readFile(path.join(view, "etc/group"), "utf8")).toMatch(/^sudo:x:27:admin$/m);
        // No host keys in the image: each machine makes its own.
        expect(
          (await fs.readdir(path.join(view, "etc/ssh"))).filter((n) => n.startsWith("ssh_host_")),
        ).toEqual([]);
        expect(
          (await fs.readdir(path.join(view, "boot"))).filter((n) => /^(vmlinuz|initrd\.img)-/.test(n)),
        ).toHaveLength(2);
        await fs.access(path.join(view, "usr/lib/grub/i386-pc/normal.mod"));
        await fs.access(path.join(view, "usr/lib/shim/shimx64.efi.signed"));
        await fs.access(path.join(view, "usr/lib/systemd/boot/efi/systemd-bootx64.efi.signed"));
      } finally {
        await store.unmount(view);
      }

      const again = JSON.parse((await compose(RECIPE, "--json")).stdout);
      expect(again.steps.every((s: { cached: boolean }) => s.cached)).toBe(true);
      // The same layers (the recipe's tag is committed again, a new manifest with its own time).
      expect(again.steps).toEqual(result.steps.map((s: object) => ({ ...s, cached: true })));
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    "fails-at-lint-and-tags-nothing-when-the-result-cannot-boot",
    async () => {
      // The same recipe (its cached steps), then a script that removes the boot integration's hook.
      const broken = path.join(dir, "broken.yaml");
      await fs.writeFile(
        broken,
        (await fs.readFile(RECIPE, "utf8"))
          .replace("name: particle/minimal-server", "name: particle/broken-server")
          .concat("  - name: break-boot\n    run: rm /usr/share/initramfs-tools/hooks/particle\n"),
      );
      const composed = await compose(broken);
      expect(composed.exitCode).toBe(4);
      expect(composed.stderr).toMatch(
        /lint boot-integration: \/usr\/share\/initramfs-tools\/hooks\/particle is missing/,
      );
      expect(composed.stderr).toMatch(/^error: the image is not bootable: boot-integration$/m);
      const list = await cli(APT_LAYER, ["list", "particle/broken-server:trixie"]);
      expect(list.exitCode).toBe(3);
      expect(await mountsBelow(dir)).toEqual([]);
    },
    BUILD_TIMEOUT_MS,
  );

  it("refuses-without-the-particle-os-package-and-names-how-to-build-it", async () => {
    const composed = await cli(APT_LAYER, ["compose", RECIPE, "--base-image", BASE]);
    expect(composed.exitCode).toBe(2);
    expect(composed.stderr).toMatch(
      /^hint: Build it with `pnpm build && node packaging\/deb\/build-deb.mjs`/m,
    );
  });
});
