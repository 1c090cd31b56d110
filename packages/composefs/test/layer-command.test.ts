import os from "node:os";
import { isParticleError } from "@particle/runtime";
import { describe, expect, it } from "vitest";
import { layerMediaType, MediaType, mkfsCommand, squashfsCacheMiB } from "../src/index.js";

describe("mkfsCommand", () => {
  it("squashfs-defaults-to-zstd-level-3-with-a-fixed-mkfs-time", () => {
    const command = mkfsCommand("/src", "/out");
    expect(command.file).toBe("mksquashfs");
    expect(command.args).toEqual([
      "/src",
      "/out",
      "-noappend",
      "-quiet",
      "-no-progress",
      "-mem",
      `${squashfsCacheMiB(os.totalmem())}M`,
      "-comp",
      "zstd",
      "-Xcompression-level",
      "3",
      "-mkfs-time",
      "0",
    ]);
    expect(command.env).toEqual({ SOURCE_DATE_EPOCH: undefined });
  });

  it("caps-the-squashfs-cache-at-512-MiB-and-keeps-a-quarter-of-a-small-machine", () => {
    expect(squashfsCacheMiB(24 * 2 ** 30)).toBe(512);
    expect(squashfsCacheMiB(1 * 2 ** 30)).toBe(256);
    expect(squashfsCacheMiB(128 * 2 ** 20)).toBe(64);
  });

  it("source-date-epoch-replaces-the-mkfs-time", () => {
    const command = mkfsCommand("/src", "/out", {
      sourceDateEpoch: 1700000000,
      compression: "gzip",
      level: 12,
    });
    expect(command.args).not.toContain("-mkfs-time");
    expect(command.args).toContain("9");
    expect(command.env).toEqual({ SOURCE_DATE_EPOCH: "1700000000" });
  });

  it("erofs-uses-lz4hc-a-fixed-uuid-and-all-time-only-with-an-epoch", () => {
    expect(mkfsCommand("/src", "/out", { format: "erofs" }).args).toEqual([
      "-zlz4hc,3",
      "--preserve-mtime",
      "-U",
      "00000000-0000-0000-0000-000000000000",
      "--quiet",
      "/out",
      "/src",
    ]);
    expect(
      mkfsCommand("/src", "/out", { format: "erofs", sourceDateEpoch: 5, compression: "none" }).args.slice(
        0,
        2,
      ),
    ).toEqual(["-T", "5"]);
    expect(layerMediaType("erofs")).toBe(MediaType.particleErofs);
  });

  it("refuses-a-compression-the-format-lacks", () => {
    let error: unknown;
    try {
      mkfsCommand("/src", "/out", { format: "erofs", compression: "zstd" });
    } catch (e) {
      error = e;
    }
    expect(isParticleError(error, "COMPRESSION_UNSUPPORTED")).toBe(true);
  });
});
