import { describe, expect, it } from "vitest";
import { isolationArgs, SANDBOX_CAPABILITIES } from "../src/isolate.js";

describe("isolationArgs", () => {
  const args = isolationArgs(["apt-get", "install", "jq"], { root: "/b/root" });

  it("pivots into the root in new namespaces with its own /proc and /dev, offline by default", () => {
    expect(args.slice(0, 3)).toEqual(["--bind", "/b/root", "/"]);
    for (const flag of [
      "--unshare-pid",
      "--unshare-ipc",
      "--unshare-uts",
      "--unshare-net",
      "--die-with-parent",
    ])
      expect(args).toContain(flag);
    expect(args.join(" ")).toContain("--proc /proc --ro-bind /proc/sys /proc/sys");
    expect(args.join(" ")).toContain("--dev /dev");
    expect(args.slice(-5)).toEqual(["/", "--", "apt-get", "install", "jq"]);
  });

  it("drops every capability but the ones dpkg needs", () => {
    expect(args.join(" ")).toContain("--cap-drop ALL --cap-add CAP_CHOWN");
    const added = args.flatMap((a, i) => (args[i - 1] === "--cap-add" ? [a] : []));
    expect(added).toEqual(SANDBOX_CAPABILITIES);
    for (const cap of [
      "CAP_SYS_ADMIN",
      "CAP_SYS_CHROOT",
      "CAP_SYS_MODULE",
      "CAP_SYS_PTRACE",
      "CAP_SYS_RAWIO",
    ])
      expect(added).not.toContain(cap);
  });

  it("keeps the host network only when asked", () => {
    expect(isolationArgs(["apt-get", "update"], { root: "/r", network: true })).not.toContain(
      "--unshare-net",
    );
  });
});
