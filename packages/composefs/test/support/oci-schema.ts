import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Ajv from "ajv-draft-04";

/** The upstream OCI image-spec JSON Schemas (shared/oci-image-spec-schemas), as an external oracle. */
const SCHEMA_DIR =
  process.env.PARTICLE_OCI_SCHEMAS ??
  path.resolve(import.meta.dirname, "../../../../../shared/oci-image-spec-schemas");

let ajv: Ajv | undefined;

/** The files give nested `id`s that would rebase their relative `$ref`s; drop them all. */
function withoutIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutIds);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k, v]) => !(k === "id" && typeof v === "string"))
      .map(([k, v]) => [k, withoutIds(v)]),
  );
}

function load(): Ajv {
  if (ajv) return ajv;
  ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat("uri", true);
  for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith(".json"))) {
    const schema = withoutIds(JSON.parse(readFileSync(path.join(SCHEMA_DIR, file), "utf8"))) as object;
    ajv.addSchema(schema, `https://opencontainers.org/schema/image/${file}`);
  }
  return ajv;
}

export type OciSchema =
  | "config-schema.json"
  | "image-manifest-schema.json"
  | "image-index-schema.json"
  | "image-layout-schema.json";

/** Validation errors of `value` against one of the OCI schemas (empty when valid). */
export function ociSchemaErrors(schema: OciSchema, value: unknown): string[] {
  const validate = load().getSchema(`https://opencontainers.org/schema/image/${schema}`);
  if (!validate) throw new Error(`schema ${schema} not found in ${SCHEMA_DIR}`);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
