import { describe, expect, it } from "vitest";
import { type EtcEntry, planEtcMerge, type UpperEntry } from "../src/index.js";

const file = (hash: string, mode = 0o644, uid = 0): EtcEntry => ({ type: "file", mode, uid, gid: 0, hash });
const dir = (mode = 0o755): EtcEntry => ({ type: "dir", mode, uid: 0, gid: 0 });
const link = (target: string): EtcEntry => ({ type: "symlink", mode: 0o777, uid: 0, gid: 0, target });
const whiteout: UpperEntry = { type: "whiteout" };

function plan(
  local: Record<string, UpperEntry>,
  base: Record<string, EtcEntry>,
  upstream: Record<string, EtcEntry>,
) {
  return planEtcMerge({
    local: new Map(Object.entries(local)),
    base: new Map(Object.entries(base)),
    upstream: new Map(Object.entries(upstream)),
  });
}

describe("etc three-way merge (ostree's corner cases)", () => {
  it("carries a local modification when upstream kept the default", () => {
    const p = plan({ hostname: file("local") }, { hostname: file("a") }, { hostname: file("a") });
    expect(p.steps).toEqual([{ path: "hostname", action: "copy", change: "modified", conflict: false }]);
  });
  it("drops a copy-up that changed nothing, so upstream's new version shows", () => {
    const p = plan(
      { "ssh/sshd_config": file("a"), ssh: dir() },
      { "ssh/sshd_config": file("a"), ssh: dir() },
      { "ssh/sshd_config": file("b"), ssh: dir() },
    );
    expect(p.steps).toEqual([]);
  });
  it("keeps a local deletion as a whiteout while upstream still ships the file", () => {
    expect(plan({ motd: whiteout }, { motd: file("a") }, { motd: file("a") }).steps).toEqual([
      { path: "motd", action: "whiteout", change: "deleted", conflict: false },
    ]);
  });
  it("needs nothing when upstream deleted the locally deleted file too", () => {
    expect(plan({ motd: whiteout }, { motd: file("a") }, {}).steps).toEqual([]);
  });
  it("reports a conflict when the file was deleted locally and changed upstream", () => {
    expect(plan({ motd: whiteout }, { motd: file("a") }, { motd: file("b") }).conflicts).toEqual(["motd"]);
  });
  it("carries a locally added file", () => {
    expect(plan({ "app.conf": file("x") }, {}, {}).steps).toEqual([
      { path: "app.conf", action: "copy", change: "added", conflict: false },
    ]);
  });
  it("keeps the local version and reports a conflict when both changed differently", () => {
    const p = plan({ fstab: file("local") }, { fstab: file("a") }, { fstab: file("b") });
    expect(p.steps).toEqual([{ path: "fstab", action: "copy", change: "modified", conflict: true }]);
    expect(p.conflicts).toEqual(["fstab"]);
  });
  it("needs nothing when both made the same change", () => {
    expect(plan({ fstab: file("b") }, { fstab: file("a") }, { fstab: file("b") }).steps).toEqual([]);
  });
  it("reports a conflict when a locally added file is also added upstream with other content", () => {
    expect(plan({ "new.conf": file("mine") }, {}, { "new.conf": file("theirs") }).conflicts).toEqual([
      "new.conf",
    ]);
  });
  it("treats a mode or owner change as a modification", () => {
    expect(
      plan({ shadow: file("a", 0o600) }, { shadow: file("a", 0o640) }, { shadow: file("a", 0o640) }).steps[0]
        ?.change,
    ).toBe("modified");
    expect(
      plan({ shadow: file("a", 0o640, 42) }, { shadow: file("a", 0o640) }, { shadow: file("a", 0o640) })
        .steps,
    ).toHaveLength(1);
  });
  it("handles type changes: a file replaced by a symlink locally", () => {
    const p = plan(
      { "resolv.conf": link("/run/resolv.conf") },
      { "resolv.conf": file("a") },
      { "resolv.conf": file("a") },
    );
    expect(p.steps).toEqual([{ path: "resolv.conf", action: "copy", change: "modified", conflict: false }]);
  });
  it("compares symlink targets", () => {
    expect(
      plan(
        { localtime: link("/usr/share/zoneinfo/UTC") },
        { localtime: link("/usr/share/zoneinfo/UTC") },
        { localtime: link("x") },
      ).steps,
    ).toEqual([]);
    expect(
      plan({ localtime: link("Europe/Paris") }, { localtime: link("UTC") }, { localtime: link("UTC") }).steps,
    ).toHaveLength(1);
  });
  it("copies an opaque (replaced) directory whole and skips its children", () => {
    const p = plan(
      { "cron.d": { ...dir(), opaque: true }, "cron.d/job": file("x") },
      { "cron.d": dir() },
      { "cron.d": dir() },
    );
    expect(p.steps).toEqual([{ path: "cron.d", action: "copy", change: "replaced-tree", conflict: false }]);
  });
  it("ignores whiteouts for files the image never had", () => {
    expect(plan({ ghost: whiteout }, {}, { ghost: file("a") }).steps).toEqual([]);
  });
});
