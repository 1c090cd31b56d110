import { ParticleError } from "@particle/runtime";

/** The catalogue of apt-layer's user-facing errors: one constructor per failure a person can act on. */

export function invalidPackageName(spec: string): ParticleError {
  return new ParticleError({
    code: "PACKAGE_NAME_INVALID",
    message: `"${spec}" is not a valid package name`,
    hint: "Use Debian package names (lowercase letters, digits, + - .), optionally with :ARCH or =VERSION.",
    context: { package: spec },
    exit: "invalidInput",
  });
}

export function invalidImageRef(ref: string): ParticleError {
  return new ParticleError({
    code: "IMAGE_REF_INVALID",
    message: `"${ref}" is not a valid image reference`,
    hint: "Write NAME/TAG or NAME:TAG with lowercase names (e.g. debian/bookworm or gaming:24.04).",
    context: { ref },
    exit: "invalidInput",
  });
}

export function packagesNotFound(names: readonly string[], detail: string): ParticleError {
  return new ParticleError({
    code: "PACKAGE_NOT_FOUND",
    message: `package${names.length === 1 ? "" : "s"} not available: ${names.join(", ")}`,
    hint: "Check the spelling with `apt-cache search`, or add the apt source that provides it; nothing was built.",
    context: { packages: names.join(" "), apt: detail },
    exit: "notFound",
  });
}

export function aptFailed(what: string, stderr: string, cause?: unknown): ParticleError {
  const last =
    stderr
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("E:"))
      .pop() ??
    stderr.trim().split("\n").pop() ??
    "";
  return new ParticleError({
    code: "APT_FAILED",
    message: `${what} failed${last ? `: ${last}` : ""}`,
    hint: "Read the apt output above (rerun with --debug); no image was created.",
    context: { stderr: stderr.trim().split("\n").slice(-20).join("\n") },
    cause,
  });
}

export function notEnoughSpace(dir: string, needBytes: number, freeBytes: number): ParticleError {
  const mib = (n: number) => `${Math.ceil(n / 2 ** 20)} MiB`;
  return new ParticleError({
    code: "NO_SPACE",
    message: `not enough free space in ${dir}: ${mib(needBytes)} needed, ${mib(freeBytes)} free`,
    hint: "Free space (remove old images and run the store's gc) or move paths.state / paths.store to a larger disk.",
    context: { path: dir, needBytes, freeBytes },
    exit: "noSpace",
  });
}

export function imageExists(ref: string): ParticleError {
  return new ParticleError({
    code: "IMAGE_EXISTS",
    message: `image ${ref} already exists`,
    hint: "Choose another NAME/TAG, or pass --replace to move the tag to the new image.",
    context: { image: ref },
    exit: "conflict",
  });
}

export function moduleUnavailable(pkg: string, what: string): ParticleError {
  return new ParticleError({
    code: "MODULE_UNAVAILABLE",
    message: `${what} needs ${pkg}, which does not provide it in this build`,
    hint: `Upgrade to a release that ships ${pkg} with this feature.`,
    context: { package: pkg },
    exit: "unavailable",
  });
}

export function notLayered(ref: string): ParticleError {
  return new ParticleError({
    code: "IMAGE_NOT_LAYERED",
    message: `image ${ref} was not built by apt-layer (it records no requested packages)`,
    hint: "Rebase works on images made with `apt-layer BASE NEW PKG...`, install, remove or compose.",
    context: { image: ref },
    exit: "invalidInput",
  });
}

export function labelInvalid(key: string, value: string): ParticleError {
  return new ParticleError({
    code: "IMAGE_LABEL_INVALID",
    message: `image label ${key} is not what apt-layer writes: ${value.slice(0, 80)}`,
    hint: "The image's apt-layer labels were changed after it was built; rebuild it with apt-layer.",
    context: { label: key },
    exit: "integrity",
  });
}

export function imagePathUnsafe(rel: string): ParticleError {
  return new ParticleError({
    code: "IMAGE_PATH_UNSAFE",
    message: `the image has a symbolic link at /${rel}, where the build environment mounts or writes`,
    hint: "Use a base image with a real directory there; apt-layer does not follow an image's links out of it.",
    context: { path: `/${rel}` },
    exit: "invalidInput",
  });
}

export function recipeInvalid(file: string, issues: readonly string[]): ParticleError {
  return new ParticleError({
    code: "RECIPE_INVALID",
    message: `recipe ${file} is not valid:\n  ${issues.join("\n  ")}`,
    hint: "Fix the fields named above; the JSON Schema is in @particle/apt-layer/schemas/recipe.schema.json.",
    context: { path: file },
    exit: "invalidInput",
  });
}

export function keyFetchFailed(url: string, why: string, cause?: unknown): ParticleError {
  return new ParticleError({
    code: "KEY_FETCH_FAILED",
    message: `fetching the apt signing key ${url} failed: ${why}`,
    hint: "Check the recipe's key URL and the network, or embed the key in the recipe as `armored:`; nothing was built.",
    context: { url },
    exit: "unavailable",
    cause,
  });
}

export function liveNotActive(root: string): ParticleError {
  return new ParticleError({
    code: "LIVE_NOT_ACTIVE",
    message: `no live overlay is active on ${root}`,
    hint: "Start one with --live-install PKG...",
    context: { root },
    exit: "notFound",
  });
}

export function liveRootUnsupported(): ParticleError {
  return new ParticleError({
    code: "LIVE_ROOT_UNSUPPORTED",
    message: "a live overlay on the running system's / needs a booted Particle deployment",
    hint: "Boot a Particle deployment (particle-bootc status shows it), or pass --root DIR for a mounted image.",
    exit: "unavailable",
  });
}

export function liveBusy(busy: readonly { pid: number; command: string; file: string }[]): ParticleError {
  const shown = busy
    .slice(0, 5)
    .map((b) => `${b.file} (pid ${b.pid} ${b.command})`)
    .join(", ");
  return new ParticleError({
    code: "LIVE_BUSY",
    message: `files of the live changes are in use: ${shown}${busy.length > 5 ? ", …" : ""}`,
    hint: "Stop those programs and retry; nothing was rolled back. Live changes are also gone after a reboot.",
    context: { pids: [...new Set(busy.map((b) => b.pid))].join(" ") },
    exit: "conflict",
  });
}

export function liveDeployFailed(ref: string, digest: string, cause: unknown): ParticleError {
  return new ParticleError({
    code: "LIVE_DEPLOY_FAILED",
    message: `committed ${ref} (${digest}) but could not deploy it for the next boot`,
    hint: `The image is in the store and the live overlay has ended; deploy it with \`particle-bootc switch ${digest}\`.`,
    context: { image: ref, manifestDigest: digest },
    exit: "failure",
    cause,
  });
}

export function tenantNotFound(tenant: string): ParticleError {
  return new ParticleError({
    code: "TENANT_NOT_FOUND",
    message: `tenant ${tenant} does not exist`,
    hint: "Create it with `apt-layer tenant add NAME --quota SIZE --group GROUP`.",
    context: { tenant },
    exit: "notFound",
  });
}

export function tenantDenied(tenant: string, group: string): ParticleError {
  return new ParticleError({
    code: "TENANT_DENIED",
    message: `you are not a member of group ${group}, which owns tenant ${tenant}`,
    hint: `Ask an administrator to add you to ${group}, or run as root.`,
    context: { tenant, group },
    exit: "permission",
  });
}

export function quotaExceeded(
  tenant: string,
  usedBytes: number,
  addBytes: number,
  quotaBytes: number,
): ParticleError {
  return new ParticleError({
    code: "QUOTA_EXCEEDED",
    message: `tenant ${tenant} would use ${usedBytes + addBytes} bytes, over its quota of ${quotaBytes}`,
    hint: "Remove some of the tenant's images, or raise its quota with `apt-layer tenant add NAME --quota SIZE`.",
    context: { tenant, usedBytes, addBytes, quotaBytes },
    exit: "noSpace",
  });
}

export function auditTampered(file: string, seq: number, reason: string): ParticleError {
  return new ParticleError({
    code: "AUDIT_TAMPERED",
    message: `audit log ${file} fails verification at entry ${seq}: ${reason}`,
    hint: "The log was changed after it was written; keep a copy for investigation and compare with backups.",
    context: { path: file, seq },
    exit: "integrity",
  });
}

export function rootRequired(what: string): ParticleError {
  return new ParticleError({
    code: "ROOT_REQUIRED",
    message: `${what} needs root (mounts, namespaces and chroot)`,
    hint: "Run it with sudo.",
    exit: "permission",
  });
}

export function bootstrapInvalid(issues: readonly string[]): ParticleError {
  return new ParticleError({
    code: "BOOTSTRAP_INVALID",
    message: `invalid bootstrap settings: ${issues.join("; ")}`,
    hint: "Check --suite, --mirror, --components, --variant (minbase, required, important, standard, apt) and --include.",
    exit: "invalidInput",
  });
}

export function suiteUnknown(suite: string, known: readonly string[]): ParticleError {
  return new ParticleError({
    code: "SUITE_UNKNOWN",
    message: `apt-layer has no profile for the suite "${suite}"; it knows ${known.join(", ")}`,
    hint: "Use one of those suites (recipe base.bootstrap.suite, --suite, or [bootstrap] suite in the config).",
    context: { suite },
    exit: "invalidInput",
  });
}

export function keyringMissing(file: string, pkg: string | undefined, suite: string): ParticleError {
  return new ParticleError({
    code: "KEYRING_MISSING",
    message: `the archive keyring of ${suite}, ${file}, is not on this machine`,
    hint: `Install ${pkg ? `the ${pkg} package` : "the package that provides it"}, or pass --keyring FILE (recipe: base.bootstrap.keyring).`,
    context: { path: file, package: pkg },
    exit: "unavailable",
  });
}

export function localDebInvalid(file: string, why: string): ParticleError {
  return new ParticleError({
    code: "LOCAL_DEB_INVALID",
    message: `the local package ${file} ${why}`,
    hint: "Give the path of a regular .deb file (apt-layer BASE NEW ./pkg.deb); nothing was built.",
    context: { path: file },
    exit: "invalidInput",
  });
}

export function localPackagesRebase(ref: string, names: readonly string[]): ParticleError {
  return new ParticleError({
    code: "REBASE_LOCAL_PACKAGES",
    message: `image ${ref} has packages from local .deb files (${names.join(", ")}), which rebase cannot fetch again`,
    hint: "Build on the new base with the files again: apt-layer NEWBASE NEW ./pkg.deb PKG...",
    context: { image: ref },
    exit: "invalidInput",
  });
}

export function particleDebRequired(recipe: string): ParticleError {
  return new ParticleError({
    code: "PARTICLE_DEB_REQUIRED",
    message: `recipe ${recipe} is bootable: it needs the particle-os package (the boot integration), and none was given`,
    hint: "Build it with `pnpm build && node packaging/deb/build-deb.mjs` and pass its path: apt-layer compose RECIPE --particle-deb PATH.",
    context: { recipe },
    exit: "usage",
  });
}

export function imageSuiteUnknown(ref: string): ParticleError {
  return new ParticleError({
    code: "IMAGE_SUITE_UNKNOWN",
    message: `image ${ref} does not record which release it is (no dev.particle.apt-layer.suite label)`,
    hint: "Use a base that apt-layer made (bootstrap, import-rootfs or a build on one), or rebuild this one.",
    context: { image: ref },
    exit: "invalidInput",
  });
}
