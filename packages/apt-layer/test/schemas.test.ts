import path from "node:path";
import { checkJsonSchemas } from "@particle/build-config/schemas";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { jsonSchemas } from "../src/spec.js";

describe("published JSON Schemas", () => {
  it("match the zod schemas (regenerate with UPDATE_SCHEMAS=1)", () => {
    const generated = Object.fromEntries(
      Object.entries(jsonSchemas).map(([name, schema]) => [name, z.toJSONSchema(schema, { io: "input" })]),
    );
    expect(checkJsonSchemas(path.join(__dirname, "../schemas"), generated)).toEqual([]);
  });
});
