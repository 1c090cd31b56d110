import { describe, expect, it } from "vitest";
import { debPath } from "../src/build/apt.js";
import { missingPackages, parseAptSimulation } from "../src/debian/apt-plan.js";

const SIMULATION = `NOTE: This is only a simulation!
Reading package lists...
The following NEW packages will be installed:
  jq libjq1 libonig5
Inst libonig5 (6.9.8-1 Debian:12.12/stable [amd64])
Inst libjq1 (1.6-2.1 Debian:12.12/stable [amd64])
Inst jq (1.6-2.1 Debian:12.12/stable [amd64])
Conf libonig5 (6.9.8-1 Debian:12.12/stable [amd64])
Conf libjq1 (1.6-2.1 Debian:12.12/stable [amd64])
Conf jq (1.6-2.1 Debian:12.12/stable [amd64])
Inst tzdata [2024a-0+deb12u1] (2025b-0+deb12u1 Debian:12.12/stable [all])
Conf tzdata (2025b-0+deb12u1 Debian:12.12/stable [all])
Inst libc6:i386 (2.36-9+deb12u13 Debian:12.12/stable [i386])
Remv nano [7.2-1]
Purg vim-tiny [2:9.0.1378-2]
`;

describe("parseAptSimulation", () => {
  it("reads installs, upgrades, configures and removals in order", () => {
    const plan = parseAptSimulation(SIMULATION);
    expect(plan[0]).toEqual({
      action: "install",
      name: "libonig5",
      version: "6.9.8-1",
      architecture: "amd64",
    });
    expect(plan.find((a) => a.name === "tzdata")).toEqual({
      action: "install",
      name: "tzdata",
      version: "2025b-0+deb12u1",
      previous: "2024a-0+deb12u1",
      architecture: "all",
    });
    expect(plan.find((a) => a.action === "remove")).toEqual({
      action: "remove",
      name: "nano",
      previous: "7.2-1",
    });
    expect(plan.find((a) => a.action === "purge")).toEqual({
      action: "purge",
      name: "vim-tiny",
      previous: "2:9.0.1378-2",
    });
    expect(plan.find((a) => a.name === "libc6")).toMatchObject({
      architecture: "i386",
      version: "2.36-9+deb12u13",
    });
  });

  it("names the cached .deb with apt's escaped epoch", () => {
    expect(debPath({ action: "install", name: "vim", version: "2:9.0-1", architecture: "amd64" })).toBe(
      "/var/cache/apt/archives/vim_2%3a9.0-1_amd64.deb",
    );
  });
});

describe("missingPackages", () => {
  it("collects every package apt could not find", () => {
    const stderr = [
      "E: Unable to locate package no-such-pkg",
      "E: Package 'ghost' has no installation candidate",
      "E: Version '9.9' for 'jq' was not found",
      "E: Unable to locate package no-such-pkg",
    ].join("\n");
    expect(missingPackages(stderr)).toEqual(["no-such-pkg", "ghost", "jq"]);
  });

  it("finds nothing in an unrelated error", () => {
    expect(missingPackages("E: Could not get lock /var/lib/dpkg/lock-frontend")).toEqual([]);
  });
});
