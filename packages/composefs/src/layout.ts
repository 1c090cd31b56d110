import { promises as fs } from "node:fs";
import path from "node:path";
import {
  fromSystemError,
  mkdirDurable,
  pathExists,
  readFileIfExists,
  writeJsonAtomic,
} from "@particle/runtime";
import type { z } from "zod";
import { StoreErrors } from "./errors.js";
import { OciIndex, OciLayout } from "./oci-spec.js";
import { digestHex, isDigest } from "./refs.js";
import { emptyIndex } from "./tags.js";

/**
 * Where things are in a store. The OCI image layout (oci-layout, index.json, blobs/sha256/) is the
 * content; `.particle/` beside it holds the store's private state (the writer lock, the transaction
 * journal, staging files on the same filesystem as the blobs so that publishing a blob is a rename).
 */
export interface StorePaths {
  readonly root: string;
  readonly layoutFile: string;
  readonly indexFile: string;
  readonly blobsDir: string;
  readonly lockDir: string;
  readonly journalDir: string;
  readonly tmpDir: string;
  /** Stamps of blobs hashed recently, keyed by inode, size and ctime (see verify.ts). */
  readonly verifiedDir: string;
}

export function storePaths(root: string): StorePaths {
  const state = path.join(root, ".particle");
  return {
    root,
    layoutFile: path.join(root, "oci-layout"),
    indexFile: path.join(root, "index.json"),
    blobsDir: path.join(root, "blobs", "sha256"),
    lockDir: path.join(state, "lock"),
    journalDir: path.join(state, "journal"),
    tmpDir: path.join(state, "tmp"),
    verifiedDir: path.join(state, "verified"),
  };
}

/** A blob's file; a digest that is not sha256 has none (documents from outside may name others). */
export function blobFile(paths: StorePaths, digest: string): string {
  if (!isDigest(digest))
    throw StoreErrors.invalidRef(digest, "a digest is sha256: followed by 64 lowercase hex digits");
  return path.join(paths.blobsDir, digestHex(digest));
}

/** Creates the layout's files that are missing; each appears whole or not at all. */
export async function initLayout(paths: StorePaths): Promise<void> {
  await mkdirDurable(paths.blobsDir);
  await mkdirDurable(paths.tmpDir);
  if (!(await pathExists(paths.layoutFile))) {
    await writeJsonAtomic(paths.layoutFile, { imageLayoutVersion: "1.0.0" } satisfies OciLayout);
  }
  if (!(await pathExists(paths.indexFile))) await writeJsonAtomic(paths.indexFile, emptyIndex());
}

export async function checkLayout(paths: StorePaths): Promise<void> {
  const text = await readFileIfExists(paths.layoutFile);
  if (text === undefined) throw StoreErrors.notAStore(paths.root);
  parseJson(paths.layoutFile, text, OciLayout);
}

export function parseJson<T>(file: string, text: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw StoreErrors.corruptMetadata(file, (error as Error).message);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw StoreErrors.corruptMetadata(
      file,
      parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
    );
  return parsed.data;
}

export async function readIndex(paths: StorePaths): Promise<OciIndex> {
  const text = await readFileIfExists(paths.indexFile);
  if (text === undefined) throw StoreErrors.notAStore(paths.root);
  return parseJson(paths.indexFile, text, OciIndex);
}

/** Replaces index.json atomically: readers see the old index or the new one. */
export async function writeIndex(paths: StorePaths, index: OciIndex): Promise<void> {
  await writeJsonAtomic(paths.indexFile, index);
}

/** Reads and validates a JSON blob (manifest, config). */
export async function readJsonBlob<T>(paths: StorePaths, digest: string, schema: z.ZodType<T>): Promise<T> {
  const file = blobFile(paths, digest);
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw StoreErrors.blobMissing(digest);
    throw fromSystemError(error, `reading blob ${digest}`, file);
  }
  return parseJson(file, text, schema);
}
