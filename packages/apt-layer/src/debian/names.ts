import { invalidImageRef, invalidPackageName } from "../errors.js";

/**
 * A package as a user may request it: `name`, `name:arch` or `name=version` (Debian policy 5.6.1:
 * lowercase letters, digits, `+ - .`, at least two characters, starting with a letter or digit).
 * Anything else (an option such as `-o…`, a path, a shell word) is refused before it reaches apt.
 */
const PACKAGE_SPEC = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:-]+)?$/;

export function validatePackageSpecs(specs: readonly string[]): string[] {
  for (const spec of specs) if (!PACKAGE_SPEC.test(spec)) throw invalidPackageName(spec);
  return [...specs];
}

/** The bare package name of a spec: `libc6:i386=2.36` → `libc6` (pure). */
export function packageNameOf(spec: string): string {
  return spec.split(/[:=]/)[0] ?? spec;
}

export interface ImageRef {
  /** Store name; may carry a tenant prefix (`acme/desktop`). */
  readonly name: string;
  readonly tag: string;
}

const NAME_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/**
 * Parses an image reference as apt-layer users write it: the seed's `NAME/TAG` (`ubuntu-base/24.04`),
 * or `NAME:TAG`, or `NAME` (tag `latest`). With a colon, the name may hold slashes (`acme/desktop:1`).
 */
export function parseImageRef(ref: string): ImageRef {
  const colon = ref.lastIndexOf(":");
  let name: string;
  let tag: string;
  if (colon !== -1) {
    name = ref.slice(0, colon);
    tag = ref.slice(colon + 1);
  } else if (ref.includes("/")) {
    const slash = ref.lastIndexOf("/");
    name = ref.slice(0, slash);
    tag = ref.slice(slash + 1);
  } else {
    name = ref;
    tag = "latest";
  }
  if (
    !TAG.test(tag) ||
    name.length === 0 ||
    name.length > 200 ||
    !name.split("/").every((c) => NAME_COMPONENT.test(c))
  ) {
    throw invalidImageRef(ref);
  }
  return { name, tag };
}

/** The store's spelling of a reference (`name:tag`). */
export function formatImageRef(ref: ImageRef): string {
  return `${ref.name}:${ref.tag}`;
}

/** A reference that is already a manifest digest is passed to the store as is. */
export function isDigestRef(ref: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(ref);
}
