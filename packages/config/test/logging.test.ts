import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, formatLogLine, resolveStderrFormat } from "../src/index.js";

function capture(isTTY = false) {
  const lines: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
    { isTTY },
  );
  return { stream, lines };
}

describe("logging", () => {
  it("formats human and journal lines from pino records", () => {
    const json = JSON.stringify({ level: 40, time: 1, pid: 1, msg: "disk nearly full", free: "1G", n: 3 });
    expect(formatLogLine(json, "human")).toBe("warn: disk nearly full free=1G n=3\n");
    expect(formatLogLine(json, "journal")).toBe("<4>disk nearly full free=1G n=3\n");
  });

  it("picks human on a terminal and journal under systemd", () => {
    expect(resolveStderrFormat("auto", { isTTY: true }, {})).toBe("human");
    expect(resolveStderrFormat("auto", { isTTY: false }, { JOURNAL_STREAM: "8:1" })).toBe("journal");
    expect(resolveStderrFormat("json", { isTTY: true }, {})).toBe("json");
  });

  it("filters stderr by its own level", () => {
    const { stream, lines } = capture();
    const logger = createLogger({
      name: "t",
      level: "debug",
      stderr: "human",
      stderrLevel: "warn",
      stderrStream: stream,
      env: {},
    });
    logger.info("quiet");
    logger.warn("loud");
    expect(lines).toEqual(["warn: loud\n"]);
  });

  it("writes JSON lines to stderr in json mode", () => {
    const { stream, lines } = capture();
    const logger = createLogger({
      name: "comp",
      level: "info",
      stderr: "json",
      stderrStream: stream,
      env: {},
    });
    logger.info({ image: "a:b" }, "committed");
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({
      name: "comp",
      msg: "committed",
      image: "a:b",
      level: 30,
    });
  });
});
