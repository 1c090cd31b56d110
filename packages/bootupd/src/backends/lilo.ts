import path from "node:path";
import { pathExists, writeFileAtomic } from "@particle/runtime";
import { packageVersions } from "../dpkg.js";
import type { Menu } from "../entries.js";
import { errors } from "../errors.js";
import { renderLiloConf } from "../menu/lilo-conf.js";
import type { Bootloader } from "./types.js";

/**
 * LILO, named by the original scripts, is no longer packaged by Debian 12 or Ubuntu 24.04. It is
 * detected (an image that still carries /sbin/lilo, a target with LILO's /boot/map) and its config
 * can be generated, but installing it is refused with LILO_UNSUPPORTED rather than pretended.
 */
export const lilo: Bootloader = {
  name: "lilo",
  firmware: "bios",
  packages: () => ["lilo"],

  async detect(source) {
    const available = await pathExists(path.join(source, "sbin/lilo"));
    return {
      backend: "lilo",
      available,
      ...(available ? {} : { missing: "/sbin/lilo (lilo, not packaged by Debian 12 / Ubuntu 24.04)" }),
      packages: await packageVersions(source, ["lilo"]),
    };
  },

  async checkTarget() {
    throw errors.liloUnsupported();
  },

  async query(target) {
    return pathExists(path.join(target.boot, "map"));
  },

  async plan() {
    throw errors.liloUnsupported();
  },

  async writeMenu(target, menu: Menu) {
    if (menu.options.oneshot)
      throw errors.oneshotUnsupported("lilo", "LILO's one-shot (`lilo -R`) needs the lilo program");
    await writeFileAtomic(
      path.join(target.boot, "lilo.conf"),
      renderLiloConf(menu, target.disk ?? "/dev/sda"),
    );
  },

  isAtomic: () => true,
};
