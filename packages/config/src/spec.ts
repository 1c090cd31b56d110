import { z } from "zod";

/**
 * The settings schema: every knob of the toolkit, grouped in sections of flat keys so that each key
 * has one spelling in TOML (`[layer] compression_level = 3`), on the command line
 * (`layer.compression_level`) and in the environment (`PARTICLE_LAYER_COMPRESSION_LEVEL`).
 */

const absolutePath = z.string().regex(/^\//, "must be an absolute path");
const sizeString = z
  .union([
    z.number().int().nonnegative(),
    z.string().regex(/^\d+(\.\d+)?\s*([KMGT]i?B?|B)?$/i, "must be a size like 10MiB"),
  ])
  .describe("bytes, or a size with a unit: 512K, 10MiB, 1G");
const logLevel = z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

export const sections = {
  paths: z
    .object({
      store: absolutePath.describe("The image store (an OCI image layout of layers, images and tags)."),
      sysroot: absolutePath.describe(
        "The physical root holding deployments (/sysroot on a booted Particle system).",
      ),
      state: absolutePath.describe("Persistent state: transaction journals, audit log, live overlays."),
      run: absolutePath.describe("Runtime state that does not survive a reboot: locks, mount records."),
      log: absolutePath.describe("Directory of the toolkit's log files."),
      cache: absolutePath.describe("Download and build caches."),
    })
    .strict(),
  layer: z
    .object({
      format: z.enum(["squashfs", "erofs"]).describe("Filesystem of new layers."),
      compression: z.enum(["zstd", "lz4", "gzip", "xz", "none"]).describe("Compression of new layers."),
      compression_level: z
        .number()
        .int()
        .min(1)
        .max(22)
        .describe("Compression level (zstd 1-22; ignored where the format has no levels)."),
    })
    .strict(),
  bootstrap: z
    .object({
      suite: z
        .string()
        .min(1)
        .describe("Suite of new bases: a release apt-layer has a profile for (trixie, bookworm, noble)."),
      mirror: z
        .union([z.string().url(), z.literal("")])
        .describe("Archive mirror URL; empty for the suite profile's (deb.debian.org, archive.ubuntu.com)."),
      components: z
        .array(z.string().min(1))
        .describe(
          "Archive components; empty for the suite profile's (Debian: main; Ubuntu: main, universe).",
        ),
      variant: z
        .enum(["minbase", "required", "important", "standard", "apt"])
        .describe("mmdebstrap variant."),
      keyring: z.string().describe("Keyring file that signs the archive; empty for the suite profile's."),
    })
    .strict(),
  registry: z
    .object({
      auth_file: absolutePath.describe("Registry credentials (containers auth.json format, mode 0600)."),
      insecure: z
        .array(z.string())
        .describe("Registries (host[:port]) that may be reached over plain HTTP; loopback always may."),
    })
    .strict(),
  logging: z
    .object({
      level: logLevel.describe("Minimum level written to the log file and stderr."),
      file: z
        .string()
        .regex(/^(?:|(?!\.\.?$)[^/\0]+)$/, "a file name inside paths.log (no '/', not '.' or '..')")
        .describe("Log file name inside paths.log; empty disables the file."),
      stderr: z
        .enum(["auto", "human", "json", "journal", "none"])
        .describe("Format of log lines on stderr; auto picks human on a terminal, journal under systemd."),
    })
    .strict(),
  logrotate: z
    .object({
      patterns: z.array(z.string().min(1)).describe("Glob patterns (* and ?) of log files to rotate."),
      max_size: sizeString.describe("Rotate a file once it is larger than this."),
      max_age_days: z
        .number()
        .int()
        .min(0)
        .describe(
          "Rotate a file once it is older than this many days; delete rotated files older than it. 0 disables.",
        ),
      keep: z.number().int().min(0).describe("Rotated files kept per log file."),
      compression: z.enum(["zstd", "gzip", "none"]).describe("Compression of rotated files."),
    })
    .strict(),
} as const;

export type SectionName = keyof typeof sections;

export const Settings = z.object(sections).strict();
export type Settings = z.infer<typeof Settings>;

/** What one config file, drop-in, the environment or the command line may set: any subset. */
export const SettingsLayer = z
  .object({
    paths: sections.paths.partial(),
    layer: sections.layer.partial(),
    bootstrap: sections.bootstrap.partial(),
    registry: sections.registry.partial(),
    logging: sections.logging.partial(),
    logrotate: sections.logrotate.partial(),
  } satisfies Record<SectionName, z.ZodType>)
  .partial()
  .strict();
export type SettingsLayer = z.infer<typeof SettingsLayer>;

export const DEFAULT_SETTINGS: Settings = {
  paths: {
    store: "/var/lib/particle/store",
    sysroot: "/sysroot",
    state: "/var/lib/particle",
    run: "/run/particle",
    log: "/var/log/particle",
    cache: "/var/cache/particle",
  },
  layer: { format: "squashfs", compression: "zstd", compression_level: 3 },
  bootstrap: {
    suite: "trixie",
    mirror: "",
    components: [],
    variant: "minbase",
    keyring: "",
  },
  registry: { auth_file: "/etc/particle/auth.json", insecure: [] },
  logging: { level: "info", file: "particle.log", stderr: "auto" },
  logrotate: {
    patterns: ["/var/log/particle/*.log"],
    max_size: "10MiB",
    max_age_days: 30,
    keep: 5,
    compression: "zstd",
  },
};

/** JSON Schemas generated from the zod schemas, shipped in `schemas/`. */
export const jsonSchemas = {
  "config-file": SettingsLayer,
  settings: Settings,
} as const;
