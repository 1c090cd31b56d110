import { promises as fs } from "node:fs";
import path from "node:path";
import { Store } from "@particle/composefs";
import { exportImage } from "@particle/oci";
import { execa } from "execa";
import { baseTree, makeImage, type TreeEntry } from "../../../../packages/bootc/test/support/images.js";

export { baseTree };

export const BIN = path.resolve(import.meta.dirname, "../../dist/particle-bootc.mjs");

/** A scratch world: a source store whose images are published to an OCI layout, and settings that keep everything in `dir`. */
export async function world(dir: string) {
  const runDir = path.join(dir, "run");
  const source = await Store.open(path.join(dir, "source"), { create: true, runDir });
  const layout = path.join(dir, "layout");
  const sysroot = path.join(dir, "sysroot");
  await fs.mkdir(sysroot);
  const settings = [
    "--set",
    `paths.run=${runDir}`,
    "--set",
    `paths.cache=${path.join(dir, "cache")}`,
    "--set",
    `registry.auth_file=${path.join(dir, "auth.json")}`,
  ];
  return {
    runDir,
    sysroot,
    reference: `oci:${layout}:os`,
    /** Builds an image and publishes it as `oci:<layout>:os` (native layers, as Particle-to-Particle pulls). */
    async publish(tree: Record<string, TreeEntry>, version: string): Promise<string> {
      await makeImage(source, dir, "os:latest", tree, version);
      const result = await exportImage(source, "os:latest", `oci:${layout}:os`, {
        workDir: path.join(dir, "export"),
        format: "native",
      });
      return result.manifestDigest;
    },
    /** `install to-filesystem` of the published image into the world's sysroot. */
    install(extra: readonly string[] = [], image = `oci:${layout}:os`) {
      return this.bootc([
        "install",
        "to-filesystem",
        sysroot,
        "--image",
        image,
        "--root-karg",
        "root=UUID=1",
        ...extra,
      ]);
    },
    bootc(args: readonly string[], env: Record<string, string> = {}) {
      return execa("node", [BIN, ...args, ...settings], {
        reject: false,
        env: { PARTICLE_LOGGING_FILE: "", ...env },
      });
    },
  };
}
