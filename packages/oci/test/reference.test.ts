import { describe, expect, it } from "vitest";
import { formatTransportRef, parseTransportRef } from "../src/index.js";

describe("transport references", () => {
  it.each([
    ["oci:/tmp/layout:v1", { transport: "oci", path: "/tmp/layout", tag: "v1" }],
    ["oci:/tmp/layout", { transport: "oci", path: "/tmp/layout" }],
    ["oci-archive:/tmp/a.tar:latest", { transport: "oci-archive", path: "/tmp/a.tar", tag: "latest" }],
    ["docker-archive:/tmp/d.tar", { transport: "docker-archive", path: "/tmp/d.tar" }],
    ["docker-archive:/tmp/d.tar:deb:1", { transport: "docker-archive", path: "/tmp/d.tar", tag: "deb:1" }],
    [
      "docker://127.0.0.1:5000/particle/base:12",
      { transport: "docker", registry: { host: "127.0.0.1:5000", repository: "particle/base", tag: "12" } },
    ],
    [
      "docker://debian",
      {
        transport: "docker",
        registry: { host: "registry-1.docker.io", repository: "library/debian", tag: "latest" },
      },
    ],
    [
      `docker://localhost/x@sha256:${"a".repeat(64)}`,
      {
        transport: "docker",
        registry: { host: "localhost", repository: "x", digest: `sha256:${"a".repeat(64)}` },
      },
    ],
  ])("parses %s", (text, expected) => {
    expect(parseTransportRef(text)).toEqual(expected);
  });

  it.each([
    "nope:/x",
    "oci:",
    "docker://host.example/UPPER:1",
    "docker://h.example/x@sha256:short",
    "oci:/x:bad tag",
  ])("rejects %s", (text) => {
    expect(() => parseTransportRef(text)).toThrow(expect.objectContaining({ code: "REF_INVALID" }));
  });

  it("formats what it parses", () => {
    for (const text of ["oci:/a:b", "docker://127.0.0.1:5000/a/b:c", "docker-archive:/x.tar"])
      expect(formatTransportRef(parseTransportRef(text))).toBe(text);
  });
});
