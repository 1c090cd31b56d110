import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Ajv from "ajv-draft-04";

/**
 * The upstream OCI image-spec JSON Schemas (draft-04), vendored beside this package from
 * shared/oci-image-spec-schemas, as an external oracle for every OCI document we write.
 */
const SCHEMA_DIR = path.resolve(import.meta.dirname, "../oci-image-spec-schemas");
const BASE = "https://opencontainers.org/schema/image/";

export type OciSchemaName =
  | "config-schema.json"
  | "content-descriptor.json"
  | "image-index-schema.json"
  | "image-layout-schema.json"
  | "image-manifest-schema.json";

/** Drops `id` keywords: each file is registered under its own name, and nested ids would move `$ref` resolution. */
function withoutIds(value: unknown, parentKey?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutIds(v));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === "id" && typeof child === "string" && parentKey !== "properties") continue;
    out[key] = withoutIds(child, key);
  }
  return out;
}

let ajv: Ajv | undefined;

function compiler(): Ajv {
  if (ajv) return ajv;
  ajv = new Ajv({ allErrors: true, strict: false });
  // RFC 3339 as the image spec requires for `created` (ajv-formats is not needed for two formats).
  ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i);
  ajv.addFormat("uri", (value: string) => URL.canParse(value));
  for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith(".json"))) {
    ajv.addSchema(
      withoutIds(JSON.parse(readFileSync(path.join(SCHEMA_DIR, file), "utf8"))) as object,
      `${BASE}${file}`,
    );
  }
  return ajv;
}

/** Validation errors of `document` against one OCI schema (empty when valid). */
export function ociSchemaErrors(schema: OciSchemaName, document: unknown): string[] {
  const validate = compiler().getSchema(`${BASE}${schema}`);
  if (!validate) throw new Error(`schema ${schema} not found in ${SCHEMA_DIR}`);
  return validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
