import { pendingTransactions } from "@particle/runtime";
import { type BlobState, checkBlob } from "./blobcheck.js";
import { listBlobs, markReachable } from "./gc.js";
import { readIndex, readJsonBlob, type StorePaths } from "./layout.js";
import { Annotation, type Descriptor, OciImageConfig, OciManifest } from "./oci-spec.js";

export interface VerifyProblem {
  readonly digest: string;
  readonly role: "manifest" | "config" | "layer";
  readonly state: Exclude<BlobState, "ok"> | "invalid";
  readonly detail?: string;
}

export interface VerifiedImage {
  /** "name:tag" of a current tag, or "name:tag (history)" of a history entry. */
  readonly ref: string;
  readonly manifestDigest: string;
  readonly problems: VerifyProblem[];
}

export interface VerifyReport {
  /** True when every blob matches its digest and every image is complete. */
  readonly ok: boolean;
  readonly blobs: {
    readonly checked: number;
    readonly bytes: number;
    readonly corrupt: string[];
    readonly unreferenced: number;
  };
  readonly images: VerifiedImage[];
  /** Images with problems (a subset of `images`). */
  readonly affected: VerifiedImage[];
  /** Interrupted operations the next writer will recover. */
  readonly pendingTransactions: number;
}

function entryRef(d: Descriptor): string {
  const current = d.annotations?.[Annotation.refName];
  if (current !== undefined) return current;
  const past = d.annotations?.[Annotation.historyRef];
  return past !== undefined ? `${past} (history)` : d.digest;
}

function isHistory(d: Descriptor): boolean {
  return d.annotations?.[Annotation.historyRef] !== undefined;
}

async function checkImage(
  paths: StorePaths,
  entry: Descriptor,
  states: ReadonlyMap<string, BlobState>,
): Promise<VerifyProblem[]> {
  const state = (digest: string): BlobState => states.get(digest) ?? "missing";
  const problems: VerifyProblem[] = [];
  const manifestState = state(entry.digest);
  if (manifestState !== "ok") return [{ digest: entry.digest, role: "manifest", state: manifestState }];
  let manifest: OciManifest;
  try {
    manifest = await readJsonBlob(paths, entry.digest, OciManifest);
  } catch (error) {
    return [{ digest: entry.digest, role: "manifest", state: "invalid", detail: (error as Error).message }];
  }
  const configState = state(manifest.config.digest);
  if (configState !== "ok")
    problems.push({ digest: manifest.config.digest, role: "config", state: configState });
  else {
    try {
      await readJsonBlob(paths, manifest.config.digest, OciImageConfig);
    } catch (error) {
      problems.push({
        digest: manifest.config.digest,
        role: "config",
        state: "invalid",
        detail: (error as Error).message,
      });
    }
  }
  for (const layer of manifest.layers) {
    const layerState = state(layer.digest);
    if (layerState !== "ok") problems.push({ digest: layer.digest, role: "layer", state: layerState });
  }
  return problems;
}

/**
 * Re-hashes every blob (streaming, no cache) and checks that every tag and history entry leads to
 * a valid manifest, config and layers. Reads only: it never repairs.
 */
export async function verifyStore(
  paths: StorePaths,
  onBlob?: (done: number, total: number) => void,
): Promise<VerifyReport> {
  const index = await readIndex(paths);
  const blobs = await listBlobs(paths);
  const states = new Map<string, BlobState>();
  const corrupt: string[] = [];
  for (const [i, blob] of blobs.entries()) {
    const state = await checkBlob(paths, blob.digest, { cached: false });
    states.set(blob.digest, state);
    if (state === "corrupt") corrupt.push(blob.digest);
    onBlob?.(i + 1, blobs.length);
  }
  const images: VerifiedImage[] = [];
  // Current tags first, then history entries, each by name.
  const entries = [...index.manifests].sort(
    (a, b) => Number(isHistory(a)) - Number(isHistory(b)) || entryRef(a).localeCompare(entryRef(b)),
  );
  for (const entry of entries) {
    images.push({
      ref: entryRef(entry),
      manifestDigest: entry.digest,
      problems: await checkImage(paths, entry, states),
    });
  }
  const reachable = await markReachable(paths, index.manifests, { strict: false });
  const affected = images.filter((i) => i.problems.length > 0);
  return {
    ok: corrupt.length === 0 && affected.length === 0,
    blobs: {
      checked: blobs.length,
      bytes: blobs.reduce((sum, b) => sum + b.size, 0),
      corrupt,
      unreferenced: blobs.filter((b) => !reachable.has(b.digest)).length,
    },
    images,
    affected,
    pendingTransactions: (await pendingTransactions(paths.journalDir)).length,
  };
}
