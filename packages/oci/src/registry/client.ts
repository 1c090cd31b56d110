import { Readable } from "node:stream";
import type { ParticleError } from "@particle/runtime";
import { ociError } from "../errors.js";
import { descriptorOf } from "../image/documents.js";
import { verifier } from "../image/verify.js";
import {
  type Descriptor,
  DockerMediaType,
  MediaType,
  RegistryErrorBody,
  TagList,
  TokenResponse,
} from "../spec.js";
import { connect } from "../stream.js";
import type { Credentials } from "./auth-file.js";
import { parseChallenge } from "./challenge.js";

/**
 * A client for one repository of a registry (OCI distribution spec v2) on Node's fetch:
 * anonymous, basic and bearer-token auth from the WWW-Authenticate challenge; HEAD before upload;
 * monolithic or chunked uploads; cross-repository mounts; manifests by tag or digest.
 * Nothing secret is ever put into an error, a log line or a URL.
 */

export interface RegistryLogger {
  debug(fields: Record<string, unknown>, message: string): void;
}

export interface RegistryClientOptions {
  readonly host: string;
  readonly repository: string;
  readonly credentials?: Credentials;
  /** Hosts (host[:port]) that may be reached over plain HTTP besides loopback. */
  readonly insecure?: readonly string[];
  readonly logger?: RegistryLogger;
  /** Upload in PATCH chunks of this size instead of one PUT. */
  readonly chunkSize?: number;
}

const MANIFEST_ACCEPT = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  DockerMediaType.manifest,
  DockerMediaType.manifestList,
].join(", ");
/** Manifests are small; a larger answer is hostile. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.replace(/:\d+$/, "");
  return name === "localhost" || name === "::1" || /^127\.\d+\.\d+\.\d+$/.test(name);
}

export interface ManifestResponse {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: string;
}

type Body = Buffer | (() => Readable) | undefined;

export class RegistryClient {
  readonly host: string;
  readonly repository: string;
  readonly #credentials: Credentials | undefined;
  readonly #base: string;
  readonly #logger: RegistryLogger | undefined;
  readonly #chunkSize: number | undefined;
  /** Authorization header per scope string, after a challenge was answered. */
  readonly #authorization = new Map<string, string>();

  constructor(options: RegistryClientOptions) {
    this.host = options.host;
    this.repository = options.repository;
    this.#credentials = options.credentials;
    this.#logger = options.logger;
    this.#chunkSize = options.chunkSize;
    const plain = isLoopbackHost(options.host) || (options.insecure ?? []).includes(options.host);
    this.#base = `${plain ? "http" : "https"}://${options.host}`;
  }

  #url(pathOrUrl: string): string {
    return new URL(pathOrUrl, this.#base).toString();
  }

  /** Sends a request, answering an auth challenge once. `scope` names the access the request needs. */
  async #request(
    method: string,
    pathOrUrl: string,
    options: {
      headers?: Record<string, string>;
      body?: Body;
      scope: "pull" | "push,pull";
      expect: readonly number[];
    },
  ): Promise<Response> {
    const scope = `repository:${this.repository}:${options.scope}`;
    const url = this.#url(pathOrUrl);
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...options.headers };
      const auth = this.#authorization.get(scope);
      if (auth) headers.authorization = auth;
      const body = typeof options.body === "function" ? options.body() : options.body;
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers,
          body:
            body === undefined
              ? undefined
              : Buffer.isBuffer(body)
                ? body
                : (Readable.toWeb(body) as ReadableStream),
          ...(body !== undefined && !Buffer.isBuffer(body) ? { duplex: "half" } : {}),
          redirect: "follow",
        } as RequestInit);
      } catch (error) {
        throw this.#networkError(error, url);
      }
      this.#logger?.debug({ method, url: redact(url), status: response.status }, "registry request");
      if (response.status === 401 && attempt === 0) {
        await response.body?.cancel();
        await this.#authenticate(response.headers.get("www-authenticate") ?? "", scope);
        continue;
      }
      if (options.expect.includes(response.status)) return response;
      throw await this.#statusError(response, method, url);
    }
  }

  async #authenticate(header: string, scope: string): Promise<void> {
    const challenge = parseChallenge(header);
    if (challenge?.scheme === "basic") {
      if (!this.#credentials) throw this.#unauthorized("the registry requires a login");
      this.#authorization.set(scope, this.#credentials.basicHeader());
      return;
    }
    if (challenge?.scheme !== "bearer" || !challenge.params.realm)
      throw this.#unauthorized(`unsupported authentication challenge ${challenge?.scheme ?? "(none)"}`);
    const realm = new URL(challenge.params.realm);
    if (challenge.params.service) realm.searchParams.set("service", challenge.params.service);
    const wanted = challenge.params.scope ?? scope;
    if (wanted) realm.searchParams.set("scope", wanted);
    const headers: Record<string, string> = {};
    if (this.#credentials) headers.authorization = this.#credentials.basicHeader();
    let response: Response;
    try {
      response = await fetch(realm, { headers });
    } catch (error) {
      throw this.#networkError(error, realm.origin);
    }
    this.#logger?.debug({ url: redact(realm.toString()), status: response.status }, "registry token request");
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw this.#unauthorized(
        this.#credentials ? "the registry rejected the credentials" : "the registry requires a login",
      );
    }
    if (!response.ok) throw await this.#statusError(response, "GET", realm.origin + realm.pathname);
    const token = TokenResponse.safeParse(await response.json().catch(() => undefined));
    const value = token.success ? (token.data.token ?? token.data.access_token) : undefined;
    if (!value)
      throw ociError("REGISTRY_ERROR", `the token service of ${this.host} sent no token`, {
        context: { host: this.host },
      });
    this.#authorization.set(scope, `Bearer ${value}`);
  }

  #unauthorized(why: string): ParticleError {
    return ociError("REGISTRY_UNAUTHORIZED", `${this.host}/${this.repository}: ${why}`, {
      context: { host: this.host, repository: this.repository, user: this.#credentials?.username },
      hint: this.#credentials
        ? `Check the stored credentials: particle login ${this.host}`
        : `Log in first: particle login ${this.host}`,
    });
  }

  #networkError(error: unknown, url: string): ParticleError {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const code = cause?.code ?? "";
    const detail = cause?.message ?? (error as Error).message;
    if (/EPROTO|wrong version number|ERR_SSL/.test(`${code} ${detail}`)) {
      return ociError("REGISTRY_INSECURE_REFUSED", `${this.host} does not speak HTTPS`, {
        context: { host: this.host },
      });
    }
    return ociError("REGISTRY_UNREACHABLE", `cannot reach ${redact(url)}: ${code || detail}`, {
      context: { host: this.host },
    });
  }

  async #statusError(response: Response, method: string, url: string): Promise<ParticleError> {
    const text = await response.text().catch(() => "");
    const parsed = (() => {
      try {
        return RegistryErrorBody.safeParse(JSON.parse(text));
      } catch {
        return undefined;
      }
    })();
    const codes = parsed?.success
      ? parsed.data.errors.map((e) => `${e.code}${e.message ? ` (${e.message})` : ""}`).join("; ")
      : "";
    const message = `${method} ${redact(url)}: HTTP ${response.status}${codes ? `: ${codes}` : ""}`;
    const context = { host: this.host, repository: this.repository, status: response.status };
    if (response.status === 401) return this.#unauthorized(`access denied (${codes || "unauthorized"})`);
    if (response.status === 403) return ociError("REGISTRY_DENIED", message, { context });
    if (response.status === 404) return ociError("REGISTRY_NOT_FOUND", message, { context });
    return ociError("REGISTRY_ERROR", message, { context });
  }

  /** GET a manifest by tag or digest; with a digest, the bytes are checked against it. */
  async getManifest(reference: string): Promise<ManifestResponse> {
    const response = await this.#request("GET", `/v2/${this.repository}/manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT },
      scope: "pull",
      expect: [200],
    });
    const length = Number(response.headers.get("content-length") ?? "0");
    if (length > MAX_MANIFEST_BYTES)
      throw ociError(
        "DOCUMENT_INVALID",
        `manifest ${reference} is ${length} bytes, more than a manifest can be`,
      );
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > MAX_MANIFEST_BYTES)
      throw ociError("DOCUMENT_INVALID", `manifest ${reference} is larger than a manifest can be`);
    const digest = descriptorOf(bytes, "x/y").digest;
    if (reference.startsWith("sha256:") && digest !== reference) {
      throw ociError("BLOB_DIGEST_MISMATCH", `manifest ${reference} from ${this.host} has digest ${digest}`, {
        context: { digest: reference, actual: digest },
      });
    }
    const mediaType =
      (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ||
      (JSON.parse(bytes.toString()) as { mediaType?: string }).mediaType ||
      MediaType.ociManifest;
    return { bytes, mediaType, digest };
  }

  async hasManifest(reference: string): Promise<boolean> {
    const response = await this.#request("HEAD", `/v2/${this.repository}/manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT },
      scope: "pull",
      expect: [200, 404],
    });
    return response.status === 200;
  }

  async putManifest(bytes: Buffer, mediaType: string, reference: string): Promise<string> {
    await this.#request("PUT", `/v2/${this.repository}/manifests/${reference}`, {
      headers: { "content-type": mediaType },
      body: bytes,
      scope: "push,pull",
      expect: [201],
    });
    return descriptorOf(bytes, mediaType).digest;
  }

  async hasBlob(digest: string): Promise<boolean> {
    const response = await this.#request("HEAD", `/v2/${this.repository}/blobs/${digest}`, {
      scope: "pull",
      expect: [200, 404],
    });
    return response.status === 200;
  }

  /** A blob's content, verified against its descriptor as it streams. */
  async getBlob(desc: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    const response = await this.#request("GET", `/v2/${this.repository}/blobs/${desc.digest}`, {
      scope: "pull",
      expect: [200],
    });
    if (!response.body) throw ociError("REGISTRY_ERROR", `blob ${desc.digest} came without a body`);
    const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream);
    return connect(body, verifier(desc));
  }

  /**
   * Uploads a blob unless the registry has it: HEAD first, then a cross-repository mount when
   * `mountFrom` names a repository of the same registry that holds it, then the upload itself.
   * Returns how it got there.
   */
  async putBlob(
    desc: Pick<Descriptor, "digest" | "size">,
    open: () => Readable,
    options: { mountFrom?: string } = {},
  ): Promise<"exists" | "mounted" | "uploaded"> {
    if (await this.hasBlob(desc.digest)) return "exists";
    const query = options.mountFrom
      ? `?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(options.mountFrom)}`
      : "";
    const start = await this.#request("POST", `/v2/${this.repository}/blobs/uploads/${query}`, {
      scope: "push,pull",
      expect: [201, 202],
    });
    await start.body?.cancel();
    if (start.status === 201) return "mounted";
    let location = this.#location(start);
    const chunkSize = this.#chunkSize;
    if (chunkSize === undefined || desc.size <= chunkSize) {
      await this.#finish(location, desc, open, desc.size);
      return "uploaded";
    }
    let offset = 0;
    for await (const chunk of chunks(open(), chunkSize)) {
      const response = await this.#request("PATCH", location, {
        headers: {
          "content-type": "application/octet-stream",
          "content-range": `${offset}-${offset + chunk.length - 1}`,
          "content-length": String(chunk.length),
        },
        body: chunk,
        scope: "push,pull",
        expect: [202],
      });
      await response.body?.cancel();
      offset += chunk.length;
      location = this.#location(response);
    }
    await this.#finish(location, desc, undefined, 0);
    return "uploaded";
  }

  async #finish(
    location: string,
    desc: Pick<Descriptor, "digest">,
    open: (() => Readable) | undefined,
    length: number,
  ): Promise<void> {
    const url = new URL(location);
    url.searchParams.set("digest", desc.digest);
    const response = await this.#request("PUT", url.toString(), {
      headers: { "content-type": "application/octet-stream", "content-length": String(length) },
      body: open ?? Buffer.alloc(0),
      scope: "push,pull",
      expect: [201],
    });
    await response.body?.cancel();
  }

  #location(response: Response): string {
    const location = response.headers.get("location");
    if (!location) throw ociError("REGISTRY_ERROR", `${this.host} started an upload without a Location`);
    return this.#url(location);
  }

  /**
   * Checks that the registry accepts this client's credentials (GET /v2/, answering its challenge
   * without a repository scope), as `docker login` does.
   */
  async checkLogin(): Promise<void> {
    const url = this.#url("/v2/");
    let response: Response;
    try {
      response = await fetch(url);
    } catch (error) {
      throw this.#networkError(error, url);
    }
    await response.body?.cancel();
    if (response.status === 200) return;
    if (response.status !== 401) throw await this.#statusError(response, "GET", url);
    const challenge = parseChallenge(response.headers.get("www-authenticate") ?? "");
    if (challenge?.scheme === "bearer") {
      await this.#authenticate(response.headers.get("www-authenticate") ?? "", "");
      return;
    }
    if (!this.#credentials) throw this.#unauthorized("the registry requires a login");
    const retry = await fetch(url, { headers: { authorization: this.#credentials.basicHeader() } }).catch(
      (error: unknown) => {
        throw this.#networkError(error, url);
      },
    );
    await retry.body?.cancel();
    if (retry.status !== 200) throw this.#unauthorized("the registry rejected the credentials");
  }

  async listTags(): Promise<string[]> {
    const response = await this.#request("GET", `/v2/${this.repository}/tags/list`, {
      scope: "pull",
      expect: [200],
    });
    const body = TagList.safeParse(await response.json().catch(() => undefined));
    if (!body.success)
      throw ociError("DOCUMENT_INVALID", `the tag list of ${this.host}/${this.repository} is malformed`);
    return body.data.tags ?? [];
  }
}

/** A URL without user info or query (upload URLs may carry state tokens). */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(url)";
  }
}

async function* chunks(source: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const data of source) {
    pending.push(data as Buffer);
    length += (data as Buffer).length;
    while (length >= size) {
      const all = Buffer.concat(pending);
      yield all.subarray(0, size);
      pending = [all.subarray(size)];
      length -= size;
    }
  }
  if (length > 0) yield Buffer.concat(pending);
}
