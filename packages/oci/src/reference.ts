import { ociError } from "./errors.js";

/**
 * Transport references in skopeo's syntax (containers-transports(5)):
 * `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`, `docker-archive:FILE[:TAG]`,
 * `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]` (pure parsing).
 */
export type TransportRef =
  | { readonly transport: "oci"; readonly path: string; readonly tag?: string }
  | { readonly transport: "oci-archive"; readonly path: string; readonly tag?: string }
  | { readonly transport: "docker-archive"; readonly path: string; readonly tag?: string }
  | { readonly transport: "docker"; readonly registry: RegistryRef };

export interface RegistryRef {
  /** host[:port] as used in URLs and auth files; Docker Hub is registry-1.docker.io. */
  readonly host: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const REPO = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

function invalid(ref: string, why: string) {
  return ociError("REF_INVALID", `invalid image reference ${JSON.stringify(ref)}: ${why}`, {
    context: { reference: ref },
  });
}

/** Parses `HOST/REPO[:TAG][@DIGEST]` (the part after `docker://`). */
export function parseRegistryRef(text: string): RegistryRef {
  const firstSlash = text.indexOf("/");
  const firstAt = text.indexOf("@");
  const userInfo =
    firstAt !== -1 &&
    (firstSlash === -1 ? !text.slice(firstAt + 1).startsWith("sha256:") : firstAt < firstSlash);
  if (userInfo)
    // The text holds a password: never echo it.
    throw ociError(
      "REF_INVALID",
      "invalid image reference: it holds user credentials (USER[:PASSWORD]@HOST)",
      {
        hint: "References never carry credentials: log in with `particle login HOST`, then use docker://HOST/REPO[:TAG].",
      },
    );
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw invalid(text, "the digest is not sha256:<64 hex>");
  }
  const slash = rest.indexOf("/");
  const first = slash === -1 ? "" : rest.slice(0, slash);
  let host = "registry-1.docker.io";
  if (first.includes(".") || first.includes(":") || first === "localhost") {
    host = first;
    rest = rest.slice(slash + 1);
  } else if (first === "docker.io") {
    rest = rest.slice(slash + 1);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(text, `tag ${JSON.stringify(tag)} is not valid`);
  }
  let repository = rest;
  if (host === "registry-1.docker.io" && !repository.includes("/")) repository = `library/${repository}`;
  if (!REPO.test(repository))
    throw invalid(
      text,
      `repository ${JSON.stringify(repository)} is not valid (lowercase, digits, . _ - and /)`,
    );
  if (host.toLowerCase() === "docker.io" || host === "index.docker.io") host = "registry-1.docker.io";
  return {
    host,
    repository,
    ...(tag === undefined && digest === undefined ? { tag: "latest" } : {}),
    ...(tag ? { tag } : {}),
    ...(digest ? { digest } : {}),
  };
}

/** Splits `PATH[:TAG]` at the first ':' as skopeo does (a path cannot hold ':'; a docker-archive tag may be NAME:TAG). */
function pathAndTag(ref: string, body: string): { path: string; tag?: string } {
  if (body === "") throw invalid(ref, "the path is empty");
  const colon = body.indexOf(":");
  if (colon === -1) return { path: body };
  const tag = body.slice(colon + 1);
  const p = body.slice(0, colon);
  if (p === "") throw invalid(ref, "the path is empty");
  if (tag !== "" && !/^[\w][\w.-]{0,127}$|^[\w.-]+(?:\/[\w.-]+)*:[\w][\w.-]{0,127}$/.test(tag))
    throw invalid(ref, `tag ${JSON.stringify(tag)} is not valid`);
  return tag === "" ? { path: p } : { path: p, tag };
}

export function parseTransportRef(ref: string): TransportRef {
  if (ref.startsWith("docker://"))
    return { transport: "docker", registry: parseRegistryRef(ref.slice("docker://".length)) };
  for (const transport of ["oci-archive", "docker-archive", "oci"] as const) {
    if (ref.startsWith(`${transport}:`))
      return { transport, ...pathAndTag(ref, ref.slice(transport.length + 1)) };
  }
  throw invalid(ref, "unknown transport");
}

export function formatRegistryRef(ref: RegistryRef): string {
  return `${ref.host}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

export function formatTransportRef(ref: TransportRef): string {
  if (ref.transport === "docker") return `docker://${formatRegistryRef(ref.registry)}`;
  return `${ref.transport}:${ref.path}${ref.tag ? `:${ref.tag}` : ""}`;
}
