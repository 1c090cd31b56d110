import type { OfflineTargetInput, SigningKey } from "@particle/bootupd";
import { type OptionSpecs, type Parsed, stringOption, usageError } from "@particle/cli-kit";

/** Options that say where the bootloader is: shared by every verb. */
export const targetOptions = {
  esp: { type: "string" },
  boot: { type: "string" },
  disk: { type: "string" },
  "boot-partition": { type: "string" },
  "esp-partition": { type: "string" },
  "lock-timeout": { type: "string" },
} as const satisfies OptionSpecs;

export const targetHelp = {
  esp: "the mounted ESP, or a directory staged for an offline image (default /boot/efi when present)",
  boot: "the boot filesystem holding kernels, menus and the state (default /boot, or the ESP)",
  disk: "disk (block device or image file) for BIOS boot code",
  "boot-partition": "number of the boot filesystem's partition on --disk",
  "esp-partition": "the ESP is this partition of the disk image --disk (copied out and back with mtools)",
  "lock-timeout": "seconds to wait for another bootupd command (default 0)",
};

export const sourceOptions = {
  source: { type: "string" },
  "sb-key": { type: "string" },
  "sb-cert": { type: "string" },
} as const satisfies OptionSpecs;

export const sourceHelp = {
  source: "root of the image whose bootloader files are used (default /)",
  "sb-key": "PEM key to sign EFI binaries with (passphrase in PARTICLE_SB_PASSPHRASE)",
  "sb-cert": "PEM certificate of --sb-key",
};

/** A string option the verb cannot do without, or a usage error showing an example. */
export function requiredOption(parsed: Parsed, name: string, example: string): string {
  const value = stringOption(parsed, name);
  if (value === undefined) throw usageError(`--${name} is required`, `For example: --${name} ${example}`);
  return value;
}

function positiveInt(parsed: Parsed, name: string): number | undefined {
  const text = stringOption(parsed, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw usageError(`--${name} ${text}: expected a positive whole number`, `For example: --${name} 2`);
  return Number(text);
}

/** Where the bootloader is, as typed: an offline image's ESP partition is opened by `withTarget`. */
export function targetInput(parsed: Parsed): OfflineTargetInput {
  const input = {
    esp: stringOption(parsed, "esp"),
    boot: stringOption(parsed, "boot"),
    disk: stringOption(parsed, "disk"),
    bootPartition: positiveInt(parsed, "boot-partition"),
    espPartition: positiveInt(parsed, "esp-partition"),
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as OfflineTargetInput;
}

export function lockTimeoutMs(parsed: Parsed): number {
  return (positiveInt(parsed, "lock-timeout") ?? 0) * 1000;
}

export function parseSigning(parsed: Parsed): SigningKey | undefined {
  const key = stringOption(parsed, "sb-key");
  const cert = stringOption(parsed, "sb-cert");
  if (key === undefined && cert === undefined) return undefined;
  if (key === undefined || cert === undefined)
    throw usageError("--sb-key and --sb-cert go together", "Pass both the key and its certificate.");
  const passphrase = process.env.PARTICLE_SB_PASSPHRASE;
  return { key, cert, ...(passphrase === undefined ? {} : { passphrase }) };
}

export function sourceOf(parsed: Parsed): string {
  return stringOption(parsed, "source") ?? "/";
}
