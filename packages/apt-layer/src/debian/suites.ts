import bookworm from "../../suites/debian-12-bookworm.json" with { type: "json" };
import trixie from "../../suites/debian-13-trixie.json" with { type: "json" };
import noble from "../../suites/ubuntu-24.04-noble.json" with { type: "json" };
import { imageSuiteUnknown, suiteUnknown } from "../errors.js";
import type { ImageInfo } from "../image/store.js";
import { LABELS, SuiteProfile } from "../spec.js";

/**
 * The distribution releases apt-layer knows, as data: one profile per release in `suites/*.json`
 * (schema `schemas/suite-profile.schema.json`). Adding a release is adding a file here.
 */
const PROFILES: readonly SuiteProfile[] = [bookworm, trixie, noble].map((p) => SuiteProfile.parse(p));

/** The known profiles, oldest Debian first. */
export function suiteProfiles(): readonly SuiteProfile[] {
  return PROFILES;
}

/** The profile of a suite (codename); an unknown suite fails with SUITE_UNKNOWN listing the known ones. */
export function suiteProfile(suite: string): SuiteProfile {
  const profile = PROFILES.find((p) => p.suite === suite);
  if (!profile) throw suiteUnknown(suite, PROFILES.map(describeProfile));
  return profile;
}

/** The profile of a root filesystem's os-release (`ID` and `VERSION_CODENAME`). */
export function suiteProfileOfOsRelease(osRelease: Readonly<Record<string, string>>): SuiteProfile {
  const suite = osRelease.VERSION_CODENAME ?? "";
  const profile = suiteProfile(suite);
  if (osRelease.ID !== undefined && osRelease.ID !== profile.distribution)
    throw suiteUnknown(`${osRelease.ID} ${suite}`, PROFILES.map(describeProfile));
  return profile;
}

function describeProfile(p: SuiteProfile): string {
  return `${p.suite} (${p.title})`;
}

/**
 * What a bootable image needs from its release (pure): the kernel, systemd as init, initramfs-tools,
 * and every bootloader of the profile with its distribution-signed Secure Boot chain, so that
 * `particle-bootc install` can pick GRUB (EFI and BIOS, with or without Secure Boot) or systemd-boot.
 */
export function bootablePackages(profile: SuiteProfile): string[] {
  const loaders = Object.values(profile.bootloaders).flatMap((b) => [...b.packages, ...(b.secureBoot ?? [])]);
  return [...new Set([...profile.boot.kernel, ...profile.boot.init, ...profile.boot.initramfs, ...loaders])];
}

/** The profile of an image apt-layer built, from its os and suite labels. */
export function suiteProfileOfImage(image: ImageInfo): SuiteProfile {
  const suite = image.labels[LABELS.suite];
  if (suite === undefined) throw imageSuiteUnknown(`${image.name}:${image.tag}`);
  return suiteProfileOfOsRelease({
    VERSION_CODENAME: suite,
    ...(image.labels[LABELS.os] ? { ID: image.labels[LABELS.os] } : {}),
  });
}
