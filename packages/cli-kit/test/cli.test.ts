import { Writable } from "node:stream";
import { ParticleError } from "@particle/runtime";
import { describe, expect, it } from "vitest";
import { type CliSpec, defineCommand, runCli, selectCommand, table } from "../src/index.js";

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk, _e, cb) {
        into.push(String(chunk));
        cb();
      },
    });
  return {
    io: {
      stdout: sink(out),
      stderr: Object.assign(sink(err), { isTTY: false }) as never,
      env: { PARTICLE_LOGGING_FILE: "", PARTICLE_CONFIG_ROOT: "/nonexistent" },
    },
    out: () => out.join(""),
    err: () => err.join(""),
  };
}

const spec: CliSpec = {
  name: "demo",
  version: "1.2.3",
  summary: "a demo",
  commands: [
    defineCommand({
      path: ["image", "list"],
      summary: "list images",
      options: { all: { type: "boolean" } },
      async run(ctx) {
        ctx.out.result("ImageList", { images: ["a", "b"] }, (d) => d.images.join("\n"));
        return 0;
      },
    }),
    defineCommand({
      path: ["fail"],
      summary: "fails",
      args: 1,
      async run(_ctx, parsed) {
        throw new ParticleError({
          code: "NOT_THERE",
          message: `image ${parsed.positionals[0]} not found`,
          hint: "list images first",
          exit: "notFound",
        });
      },
    }),
    defineCommand({
      path: ["crash"],
      summary: "crashes",
      async run() {
        throw new TypeError("undefined is not a function");
      },
    }),
  ],
  defaultCommand: defineCommand({
    path: [],
    summary: "build",
    usage: "BASE NEW PKG...",
    args: [2, Number.POSITIVE_INFINITY],
    async run(ctx, parsed) {
      ctx.out.text(`build ${parsed.positionals.join(" ")}`);
      return 0;
    },
  }),
  flagAliases: { "--list": ["image", "list"] },
};

describe("runCli", () => {
  it("runs a nested verb and prints text", async () => {
    const t = io();
    expect(await runCli(spec, ["image", "list", "--all"], t.io)).toBe(0);
    expect(t.out()).toBe("a\nb\n");
  });

  it("prints one versioned JSON document with --json", async () => {
    const t = io();
    expect(await runCli(spec, ["image", "list", "--json"], t.io)).toBe(0);
    expect(JSON.parse(t.out())).toEqual({
      apiVersion: "particle.dev/v1",
      kind: "ImageList",
      images: ["a", "b"],
    });
  });

  it("maps a ParticleError to its exit code with error and hint lines, no stack", async () => {
    const t = io();
    expect(await runCli(spec, ["fail", "x"], t.io)).toBe(3);
    expect(t.err()).toBe("error: image x not found\nhint: list images first\n");
  });

  it("prints the error as JSON with --json", async () => {
    const t = io();
    expect(await runCli(spec, ["fail", "x", "--json"], t.io)).toBe(3);
    expect(JSON.parse(t.out())).toMatchObject({
      kind: "Error",
      error: { code: "NOT_THERE", hint: "list images first" },
    });
  });

  it("reports internal errors as bugs and shows the stack only with --debug", async () => {
    const t = io();
    expect(await runCli(spec, ["crash"], t.io)).toBe(1);
    expect(t.err()).toContain("error: internal error: undefined is not a function");
    expect(t.err()).not.toContain("    at ");
    const d = io();
    await runCli(spec, ["crash", "--debug"], d.io);
    expect(d.err()).toContain("    at ");
  });

  it("rejects unknown options and wrong argument counts with exit code 2", async () => {
    const a = io();
    expect(await runCli(spec, ["image", "list", "--bogus"], a.io)).toBe(2);
    expect(a.err()).toMatch(/error: Unknown option '--bogus'.*\nhint: Run 'demo image list --help'/s);
    const b = io();
    expect(await runCli(spec, ["fail"], b.io)).toBe(2);
    expect(b.err()).toContain("expected 1 argument, got 0");
  });

  it("rejects a bad --set value before running the command", async () => {
    const t = io();
    expect(await runCli(spec, ["image", "list", "--set", "layer.format=ext4"], t.io)).toBe(4);
    expect(t.err()).toMatch(/--set layer\.format/);
  });

  it("falls back to the default command and honours flag aliases", async () => {
    const t = io();
    expect(await runCli(spec, ["base/1", "new/1", "htop"], t.io)).toBe(0);
    expect(t.out()).toBe("build base/1 new/1 htop\n");
    const u = io();
    expect(await runCli(spec, ["--list"], u.io)).toBe(0);
    expect(u.out()).toBe("a\nb\n");
  });

  it("prints help and version", async () => {
    const t = io();
    expect(await runCli(spec, ["--version"], t.io)).toBe(0);
    expect(t.out()).toBe("demo 1.2.3\n");
    const h = io();
    expect(await runCli(spec, ["image", "list", "--help"], h.io)).toBe(0);
    expect(h.out()).toContain("Usage: demo image list [OPTIONS]");
  });

  it("selects the longest matching command path", () => {
    expect(selectCommand(spec, ["image", "list", "x"])?.rest).toEqual(["x"]);
    expect(selectCommand(spec, ["--nope"])).toBeUndefined();
  });
});

describe("table", () => {
  it("aligns columns", () => {
    expect(
      table(
        ["NAME", "SIZE"],
        [
          ["a", "1"],
          ["long-name", "22"],
        ],
      ),
    ).toBe("NAME       SIZE\na          1\nlong-name  22");
  });
});
