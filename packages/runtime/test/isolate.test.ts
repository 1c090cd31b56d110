import { describe, expect, it } from "vitest";
import { isolationArgs } from "../src/isolate.js";

describe("isolationArgs", () => {
  it("isolates in new namespaces, chrooted, with a private /proc and no network by default", () => {
    expect(isolationArgs(["apt-get", "install", "jq"], { root: "/b/root" })).toEqual([
      "--mount",
      "--pid",
      "--ipc",
      "--uts",
      "--net",
      "--fork",
      "--kill-child",
      "--mount-proc=/proc",
      "--root=/b/root",
      "--wd=/",
      "--",
      "apt-get",
      "install",
      "jq",
    ]);
  });

  it("keeps the host network only when asked", () => {
    expect(isolationArgs(["apt-get", "update"], { root: "/r", network: true })).not.toContain("--net");
  });
});
