import * as oci from "@particle/oci";
import { moduleUnavailable } from "./errors.js";
import type { ImageStore } from "./store.js";

/**
 * `--oci-export` / `--oci-import`: hand-over to @particle/oci, which owns OCI transport. It is looked
 * up at run time because @particle/oci publishes `exportImage(store, ref, destination)` and
 * `importImage(store, source, ref)` in a later release; until then these fail with MODULE_UNAVAILABLE.
 */
type Transfer = (store: ImageStore, from: string, to: string) => Promise<unknown>;

function lookup(name: "exportImage" | "importImage"): Transfer {
  const fn = (oci as Record<string, unknown>)[name];
  if (typeof fn !== "function")
    throw moduleUnavailable("@particle/oci", `OCI ${name === "exportImage" ? "export" : "import"}`);
  return fn as Transfer;
}

/** Exports a store image to an OCI destination (registry reference, `oci:DIR`, `oci-archive:FILE`). */
export async function ociExport(store: ImageStore, image: string, destination: string): Promise<unknown> {
  return lookup("exportImage")(store, image, destination);
}

/** Imports an OCI image (registry reference, `oci:DIR`, `oci-archive:FILE`) as a store image, e.g. a base. */
export async function ociImport(store: ImageStore, source: string, image: string): Promise<unknown> {
  return lookup("importImage")(store, source, image);
}
