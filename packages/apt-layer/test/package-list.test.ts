import { describe, expect, it } from "vitest";
import { mergeRequests } from "../src/build/layer.js";
import {
  decodePackageList,
  diffPackageLists,
  encodePackageList,
  labelList,
  localPackageRecords,
  markLocalPackages,
  mergeLocalPackages,
} from "../src/debian/package-list.js";
import { LABELS } from "../src/spec.js";

describe("package lists", () => {
  it("round-trips through the image label, epochs included", () => {
    const label = encodePackageList([
      { name: "vim", architecture: "amd64", version: "2:9.0.1378-2" },
      { name: "libc6", architecture: "i386", version: "2.36-9" },
    ]);
    expect(decodePackageList(label)).toEqual([
      { name: "vim", architecture: "amd64", version: "2:9.0.1378-2" },
      { name: "libc6", architecture: "i386", version: "2.36-9" },
    ]);
  });

  it("diffs added, removed, upgraded and downgraded packages with Debian version order", () => {
    const a = [
      { name: "bash", architecture: "amd64", version: "5.2.15-2" },
      { name: "nano", architecture: "amd64", version: "7.2-1" },
      { name: "tzdata", architecture: "all", version: "2024a-0+deb12u1" },
      { name: "zlib1g", architecture: "amd64", version: "1:1.2.13-1" },
    ];
    const b = [
      { name: "bash", architecture: "amd64", version: "5.2.15-2+b2" },
      { name: "jq", architecture: "amd64", version: "1.6-2.1" },
      { name: "tzdata", architecture: "all", version: "2024a-0+deb12u1" },
      { name: "zlib1g", architecture: "amd64", version: "1.2.14-1" },
    ];
    const diff = diffPackageLists(a, b);
    expect(diff.added.map((p) => p.name)).toEqual(["jq"]);
    expect(diff.removed.map((p) => p.name)).toEqual(["nano"]);
    expect(diff.upgraded).toEqual([
      { name: "bash", architecture: "amd64", from: "5.2.15-2", to: "5.2.15-2+b2" },
    ]);
    // 1.2.14 without an epoch is older than 1:1.2.13.
    expect(diff.downgraded.map((c) => c.name)).toEqual(["zlib1g"]);
  });
});

describe("requested packages accumulate across layers", () => {
  it("adds new requests and drops removed ones", () => {
    const base = {
      [LABELS.requested]: JSON.stringify(["jq", "nano"]),
      [LABELS.removed]: JSON.stringify(["vim-tiny"]),
    };
    expect(mergeRequests(base, ["curl", "vim-tiny"], ["nano"])).toEqual({
      requested: ["curl", "jq", "vim-tiny"],
      removed: ["nano"],
    });
  });
  it("starts empty on a base that apt-layer did not build", () => {
    expect(mergeRequests({}, ["jq"], [])).toEqual({ requested: ["jq"], removed: [] });
  });
  it("refuses a corrupt label instead of forgetting the base's requests", () => {
    expect(labelList({ [LABELS.requested]: '["jq","less"]' }, LABELS.requested)).toEqual(["jq", "less"]);
    for (const bad of ["[jq", '{"jq":1}', '["jq",1]']) {
      expect(() => mergeRequests({ [LABELS.requested]: bad }, ["curl"], [])).toThrow(
        expect.objectContaining({ code: "IMAGE_LABEL_INVALID" }),
      );
    }
  });
});

describe("packages from local .debs", () => {
  const record = (name: string, version: string) => ({
    name,
    architecture: "all",
    version,
    sha256: "d".repeat(64),
  });
  const installed = (name: string, version: string) => ({ name, architecture: "all", version });

  it("are kept across layers while the same version stays installed", () => {
    const base = [record("a", "1"), record("b", "1")];
    // b was upgraded from the archive, c is new from a local .deb, a stays.
    expect(
      mergeLocalPackages(
        base,
        [record("c", "2")],
        [installed("a", "1"), installed("b", "2"), installed("c", "2")],
      ),
    ).toEqual([record("a", "1"), record("c", "2")]);
  });

  it("are marked in the package list with their digest", () => {
    expect(markLocalPackages([installed("a", "1"), installed("z", "1")], [record("a", "1")])).toEqual([
      { ...installed("a", "1"), origin: "local", sha256: "d".repeat(64) },
      installed("z", "1"),
    ]);
  });

  it("refuse a local label that is not what apt-layer writes", () => {
    expect(localPackageRecords({})).toEqual([]);
    expect(() => localPackageRecords({ [LABELS.local]: '[{"name":"a"}]' })).toThrow(
      expect.objectContaining({ code: "IMAGE_LABEL_INVALID" }),
    );
  });
});
