import { StoreErrors } from "./errors.js";

/** An image reference: a tag ("name:tag", where a bare name means "latest") or a manifest digest. */
export type ImageRef = { kind: "tag"; name: string; tag: string } | { kind: "digest"; digest: string };

export const DEFAULT_TAG = "latest";

// The OCI distribution grammar for repository names and tags (no registry host: the store is local).
const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Parses "name", "name:tag" or "sha256:<hex>" (pure). */
export function parseRef(ref: string): ImageRef {
  if (DIGEST.test(ref)) return { kind: "digest", digest: ref };
  if (ref.startsWith("sha256:"))
    throw StoreErrors.invalidRef(ref, "a digest is sha256: followed by 64 lowercase hex digits");
  const colon = ref.lastIndexOf(":");
  const name = colon === -1 ? ref : ref.slice(0, colon);
  const tag = colon === -1 ? DEFAULT_TAG : ref.slice(colon + 1);
  if (name.length === 0 || name.length > 255 || !NAME.test(name)) {
    throw StoreErrors.invalidRef(
      ref,
      "the name must be lowercase letters and digits, separated by . _ - or /",
    );
  }
  if (!TAG.test(tag))
    throw StoreErrors.invalidRef(ref, "the tag must be letters, digits, _ . - (at most 128)");
  return { kind: "tag", name, tag };
}

/** Parses a reference that must name a tag (not a digest). */
export function parseTagRef(ref: string): { name: string; tag: string } {
  const parsed = parseRef(ref);
  if (parsed.kind !== "tag") throw StoreErrors.invalidRef(ref, "a tag is needed here, not a digest");
  return parsed;
}

export function formatTagRef(name: string, tag: string): string {
  return `${name}:${tag}`;
}

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/** The hex part of "sha256:<hex>". */
export function digestHex(digest: string): string {
  return digest.slice("sha256:".length);
}
