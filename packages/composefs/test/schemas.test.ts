import { readFileSync } from "node:fs";
import path from "node:path";
import { checkJsonSchemas } from "@particle/build-config/schemas";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BackupManifest, MountRecord } from "../src/index.js";
import { jsonSchemas } from "../src/spec.js";

describe("published JSON Schemas", () => {
  it("match the zod schemas (regenerate with UPDATE_SCHEMAS=1)", () => {
    const generated = Object.fromEntries(
      Object.entries(jsonSchemas).map(([name, schema]) => [name, z.toJSONSchema(schema, { io: "input" })]),
    );
    expect(checkJsonSchemas(path.join(__dirname, "../schemas"), generated)).toEqual([]);
  });

  it("v1-records-still-parse", () => {
    const fixture = (name: string) =>
      JSON.parse(readFileSync(path.join(__dirname, "fixtures", name), "utf8")) as unknown;
    expect(MountRecord.safeParse(fixture("mount-record-v1.json")).success).toBe(true);
    expect(BackupManifest.safeParse(fixture("backup-manifest-v1.json")).success).toBe(true);
  });
});
