import { describe, expect, it } from "vitest";
import {
  type BootEntrySet,
  type DeploymentOrigin,
  deploymentOfTag,
  deploymentsToKeep,
  deploymentTag,
  hostStatus,
  type ImageImporter,
  installToDisk,
  planBootComplete,
  trackingName,
} from "../src/index.js";

const entry = (deployment: string) => ({
  deployment,
  title: deployment,
  kernel: "/k",
  initrd: "/i",
  options: "",
});
const set = (entries: string[], trial?: string): BootEntrySet => ({
  apiVersion: "particle.dev/v1",
  kind: "BootEntrySet",
  generation: 1,
  entries: entries.map(entry),
  ...(trial ? { trial: { deployment: trial, tries: 3 } } : {}),
});

describe("cleanup rules", () => {
  it("keep the entries (default and rollback), the booted, staged and pinned deployments", () => {
    const keep = deploymentsToKeep({
      entries: ["s/b", "s/a"],
      booted: "s/old",
      staged: ["s/c"],
      pinned: ["s/p"],
    });
    expect([...keep].sort()).toEqual(["s/a", "s/b", "s/c", "s/old", "s/p"]);
  });
});

describe("boot completion", () => {
  it("marks the trial deployment good when it is the one booted", () => {
    expect(planBootComplete(set(["s/b", "s/a"], "s/b"), "s/b")).toEqual({
      outcome: "marked-good",
      entries: set(["s/b", "s/a"]).entries,
    });
  });
  it("makes the fallback the default when the trial failed and the fallback booted", () => {
    expect(planBootComplete(set(["s/b", "s/a"], "s/b"), "s/a").entries?.map((e) => e.deployment)).toEqual([
      "s/a",
      "s/b",
    ]);
  });
  it("does nothing without a trial", () => {
    expect(planBootComplete(set(["s/b", "s/a"]), "s/b").outcome).toBe("nothing-to-do");
  });
});

const origin = (id: string, deployedAt: string, pinned = false): DeploymentOrigin => ({
  apiVersion: "particle.dev/v1",
  kind: "DeploymentOrigin",
  stateroot: "s",
  id,
  image: { reference: `ref-${id}`, storeRef: "x:latest", manifestDigest: `sha256:${"a".repeat(64)}` },
  layers: [{ digest: `sha256:${"b".repeat(64)}`, fsType: "squashfs" }],
  boot: { checksum: "c".repeat(64), kernelVersion: "6.1" },
  kargs: [],
  pinned,
  deployedAt,
});

describe("host status", () => {
  const deployments = new Map([
    ["s/a", origin("a", "2026-01-01")],
    ["s/b", origin("b", "2026-01-02")],
    ["s/c", origin("c", "2026-01-03")],
    ["s/old", origin("old", "2025-01-01", true)],
  ]);
  it("reports booted, staged, default, rollback and the others", () => {
    const host = hostStatus({ deployments, entries: ["s/b", "s/a"], booted: "s/b", staged: ["s/c"] });
    expect(host.status.booted?.id).toBe("b");
    expect(host.status.staged?.id).toBe("c");
    expect(host.status.rollback?.id).toBe("a");
    expect(host.status.otherDeployments.map((d) => d.id)).toEqual(["old"]);
    expect(host.spec).toEqual({ image: "ref-c", bootOrder: "default" });
  });
  it("says bootOrder rollback when the default is older than the one it replaced", () => {
    expect(
      hostStatus({ deployments, entries: ["s/a", "s/b"], booted: "s/b", staged: [] }).spec.bootOrder,
    ).toBe("rollback");
  });
});

describe("tracking names", () => {
  it("are stable, valid store names per reference", () => {
    expect(trackingName("docker://h/r:a")).toBe(trackingName("docker://h/r:a"));
    expect(trackingName("docker://h/r:a")).not.toBe(trackingName("docker://h/r:b"));
    expect(trackingName("oci:/x:y")).toMatch(/^bootc\/tracked-[0-9a-f]{16}:latest$/);
  });
});

describe("deployment tags in the store", () => {
  it("name the deployment, and no other tag is taken for one", () => {
    expect(deploymentTag("default", "0123456789ab-0")).toBe("particle-deploy:default.0123456789ab-0");
    expect(deploymentOfTag("particle-deploy", "my_root-.0123456789ab-2")).toBe("my_root-/0123456789ab-2");
    expect(deploymentOfTag("os", "default.0123456789ab-0")).toBeUndefined();
    expect(deploymentOfTag("particle-deploy", "latest")).toBeUndefined();
    expect(deploymentOfTag("particle-deploy", ".x")).toBeUndefined();
  });
});

describe("install to-disk input", () => {
  it("refuses a partition size that is not a whole number of MiB before touching the disk", async () => {
    const unreachable = async (): Promise<never> => {
      throw new Error("must not be reached");
    };
    const importer: ImageImporter = unreachable;
    for (const rootMiB of [Number.NaN, 0, 1.5]) {
      await expect(
        installToDisk("/nonexistent-particle-dir/disk.img", {
          reference: "os:a",
          importer,
          bootloader: unreachable,
          rootMiB,
        }),
      ).rejects.toMatchObject({ code: "SIZE_INVALID", exitCode: 4 });
    }
  });
});
