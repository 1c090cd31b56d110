// @ts-check
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Checks that the JSON Schemas shipped in `dir` match those generated from the zod schemas.
 * With UPDATE_SCHEMAS=1 it writes them instead. Returns the names of stale or missing files.
 * @param {string} dir
 * @param {Record<string, unknown>} schemas name → generated JSON Schema object
 * @returns {string[]}
 */
export function checkJsonSchemas(dir, schemas) {
  const stale = [];
  for (const [name, schema] of Object.entries(schemas)) {
    const file = path.join(dir, `${name}.schema.json`);
    const text = `${JSON.stringify(schema, null, 2)}\n`;
    if (process.env.UPDATE_SCHEMAS === "1") {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, text);
      continue;
    }
    let current;
    try {
      current = readFileSync(file, "utf8");
    } catch {
      current = undefined;
    }
    if (current !== text) stale.push(file);
  }
  return stale;
}
