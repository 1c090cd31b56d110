import { readFileSync } from "node:fs";
import path from "node:path";
import { checkJsonSchemas } from "@particle/build-config/schemas";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BootcHost, BootEntrySet, DeploymentOrigin } from "../src/index.js";
import { jsonSchemas } from "../src/spec.js";

const fixture = (name: string) => JSON.parse(readFileSync(path.join(__dirname, "fixtures", name), "utf8"));

describe("published JSON Schemas", () => {
  it("match the zod schemas (regenerate with UPDATE_SCHEMAS=1)", () => {
    const generated = Object.fromEntries(
      Object.entries(jsonSchemas).map(([name, schema]) => [name, z.toJSONSchema(schema, { io: "input" })]),
    );
    expect(checkJsonSchemas(path.join(__dirname, "../schemas"), generated)).toEqual([]);
  });
});

describe("format fixtures (v1) still parse", () => {
  it("host status", () => {
    const host = BootcHost.parse(fixture("bootc-host.v1.json"));
    expect(host.status.booted?.id).toBe("0123456789ab-0");
    expect(host.status.rollback?.image.reference).toBe("docker://registry.example/os:a");
  });
  it("deployment origin", () => {
    expect(DeploymentOrigin.parse(fixture("deployment-origin.v1.json")).layers[0]?.fsType).toBe("squashfs");
  });
  it("boot entry set", () => {
    expect(BootEntrySet.parse(fixture("boot-entry-set.v1.json")).trial?.tries).toBe(3);
  });
  it("rejects a deployment id with a dot (bootloader menu ids allow none)", () => {
    const origin = fixture("deployment-origin.v1.json");
    expect(DeploymentOrigin.safeParse({ ...origin, id: "abc.0" }).success).toBe(false);
  });
});
