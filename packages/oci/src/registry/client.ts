import { Readable } from "node:stream";
import type { ParticleError } from "@particle/runtime";
import { ociError } from "../errors.js";
import { descriptorOf } from "../image/documents.js";
import { checkDigest, verifier } from "../image/verify.js";
import { LIMITS, MAX_REDIRECTS, REGISTRY_TIMEOUTS, type RegistryTimeouts } from "../limits.js";
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
import { type HttpResponse, isTransient, isTransientStatus, readBody, send, sleep } from "./http.js";

/**
 * A client for one repository of a registry (OCI distribution spec v2) on node:http(s) (http.ts):
 * anonymous, basic and bearer-token auth from the WWW-Authenticate challenge; HEAD before upload;
 * monolithic or chunked uploads; cross-repository mounts; manifests by tag or digest.
 * Nothing secret is ever put into an error, a log line or a URL.
 */

export interface RegistryLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  /** Where a hang is reported ("waiting for …"); a CLI shows it on stderr. */
  warn?(fields: Record<string, unknown>, message: string): void;
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
  /** Overrides of the waits on the registry (defaults in limits.ts). */
  readonly timeouts?: Partial<RegistryTimeouts>;
}

const MANIFEST_ACCEPT = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  DockerMediaType.manifest,
  DockerMediaType.manifestList,
].join(", ");

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

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class RegistryClient {
  readonly host: string;
  readonly repository: string;
  readonly #credentials: Credentials | undefined;
  readonly #base: URL;
  readonly #insecure: readonly string[];
  readonly #logger: RegistryLogger | undefined;
  readonly #chunkSize: number | undefined;
  readonly #timeouts: RegistryTimeouts;
  /** Authorization header per scope string, after a challenge was answered; sent to this.host only. */
  readonly #authorization = new Map<string, string>();

  constructor(options: RegistryClientOptions) {
    this.host = options.host;
    this.repository = options.repository;
    this.#credentials = options.credentials;
    this.#logger = options.logger;
    this.#chunkSize = options.chunkSize;
    this.#insecure = options.insecure ?? [];
    this.#timeouts = { ...REGISTRY_TIMEOUTS, ...options.timeouts };
    this.#base = new URL(`${this.#plainAllowed(options.host) ? "http" : "https"}://${options.host}`);
  }

  /** Plain HTTP is allowed for loopback and for hosts the admin listed as insecure. */
  #plainAllowed(host: string): boolean {
    return isLoopbackHost(host) || this.#insecure.includes(host);
  }

  #url(pathOrUrl: string, base: URL = this.#base): URL {
    const url = new URL(pathOrUrl, base);
    if (url.username || url.password)
      throw ociError("REGISTRY_RESPONSE_INVALID", `${this.host} named a URL with user credentials in it`, {
        context: { host: this.host },
      });
    if (url.protocol !== "https:" && url.protocol !== "http:")
      throw ociError("REGISTRY_RESPONSE_INVALID", `${this.host} named a ${url.protocol} URL`, {
        context: { host: this.host },
      });
    if (url.protocol === "http:" && !this.#plainAllowed(url.host))
      throw ociError("REGISTRY_INSECURE_REFUSED", `${this.host} sent the client to plain-HTTP ${url.host}`, {
        context: { host: this.host },
      });
    return url;
  }

  /** Whether a URL is the registry itself: the only place its credentials and tokens go. */
  #isRegistry(url: URL): boolean {
    return url.host === this.#base.host && url.protocol === this.#base.protocol;
  }

  #notice = (message: string) => this.#logger?.warn?.({ host: this.host }, message);

  async #backoff(attempt: number, why: string, what: string): Promise<void> {
    const delay = this.#timeouts.backoffMs * 2 ** (attempt - 1);
    this.#notice(
      `${what}: ${why}; retrying in ${Math.round(delay / 100) / 10} s (try ${attempt + 1} of ${this.#timeouts.attempts})`,
    );
    await sleep(delay);
  }

  /**
   * Sends a request: answers an auth challenge once, follows redirects of a GET or HEAD (without
   * credentials to another host, never from HTTPS down to plain HTTP) and retries a GET or HEAD
   * on a timeout, reset or 5xx with backoff. `scope` names the access the request needs.
   */
  async #request(
    method: string,
    pathOrUrl: string,
    options: {
      headers?: Record<string, string>;
      body?: Body;
      scope: "pull" | "push,pull";
      expect: readonly number[];
      what: string;
    },
  ): Promise<HttpResponse> {
    const scope = `repository:${this.repository}:${options.scope}`;
    const idempotent = method === "GET" || method === "HEAD";
    let url = this.#url(pathOrUrl);
    let challenged = false;
    let redirects = 0;
    for (let attempt = 1; ; ) {
      const headers: Record<string, string> = { ...options.headers };
      const auth = this.#isRegistry(url) ? this.#authorization.get(scope) : undefined;
      if (auth) headers.authorization = auth;
      let response: HttpResponse;
      try {
        response = await send(
          { method, url, headers, body: options.body, what: options.what },
          this.#timeouts,
          this.#notice,
        );
      } catch (error) {
        if (idempotent && attempt < this.#timeouts.attempts && isTransient(error)) {
          await this.#backoff(attempt++, describeFailure(error), options.what);
          continue;
        }
        throw this.#networkError(error, url);
      }
      this.#logger?.debug(
        { method, url: redact(url.toString()), status: response.status },
        "registry request",
      );
      if (idempotent && REDIRECTS.has(response.status)) {
        response.discard();
        const location = response.headers.location;
        if (!location || ++redirects > MAX_REDIRECTS)
          throw ociError(
            "REGISTRY_RESPONSE_INVALID",
            `${options.what}: ${location ? "too many redirects" : "a redirect without a Location"}`,
            {
              context: { host: this.host },
            },
          );
        const next = this.#url(location, url);
        if (url.protocol === "https:" && next.protocol === "http:")
          throw ociError(
            "REGISTRY_INSECURE_REFUSED",
            `${options.what}: ${url.host} redirects from HTTPS to plain HTTP`,
            {
              context: { host: this.host },
            },
          );
        url = next;
        continue;
      }
      if (response.status === 401 && !challenged && this.#isRegistry(url)) {
        challenged = true;
        response.discard();
        await this.#authenticate(String(response.headers["www-authenticate"] ?? ""), scope);
        continue;
      }
      if (idempotent && isTransientStatus(response.status) && attempt < this.#timeouts.attempts) {
        response.discard();
        await this.#backoff(attempt++, `HTTP ${response.status}`, options.what);
        continue;
      }
      if (options.expect.includes(response.status)) return response;
      throw await this.#statusError(response, method, url.toString());
    }
  }

  /**
   * Answers a challenge. Basic: the stored credentials, for this host only. Bearer: a token from
   * the realm, which gets the credentials only over HTTPS (or plain HTTP to a loopback or
   * registry.insecure host), and never with user info or a redirect.
   */
  async #authenticate(header: string, scope: string): Promise<void> {
    const challenge = parseChallenge(header);
    if (challenge?.scheme === "basic") {
      if (!this.#credentials) throw this.#unauthorized("the registry requires a login");
      this.#authorization.set(scope, this.#credentials.basicHeader());
      return;
    }
    if (challenge?.scheme !== "bearer" || !challenge.params.realm)
      throw this.#unauthorized(`unsupported authentication challenge ${challenge?.scheme ?? "(none)"}`);
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm);
    } catch {
      throw ociError("REGISTRY_RESPONSE_INVALID", `${this.host} named a token service that is not a URL`, {
        context: { host: this.host },
      });
    }
    if (realm.username || realm.password || (realm.protocol !== "https:" && realm.protocol !== "http:"))
      throw ociError(
        "REGISTRY_CREDENTIALS_REFUSED",
        `${this.host} named a token service URL with user info or an unknown scheme`,
        {
          context: { host: this.host },
        },
      );
    const plain = realm.protocol === "http:";
    if (plain && this.#credentials && !this.#plainAllowed(realm.host))
      throw ociError(
        "REGISTRY_CREDENTIALS_REFUSED",
        `${this.host} asks for credentials at a token service over plain HTTP (${realm.host}); they were not sent`,
        { context: { host: this.host, realm: redact(realm.toString()) } },
      );
    if (challenge.params.service) realm.searchParams.set("service", challenge.params.service);
    const wanted = challenge.params.scope ?? scope;
    if (wanted) realm.searchParams.set("scope", wanted);
    const headers: Record<string, string> = {};
    if (this.#credentials) headers.authorization = this.#credentials.basicHeader();
    const what = `a token from ${realm.host}`;
    let response: HttpResponse | undefined;
    for (let attempt = 1; response === undefined; ) {
      try {
        response = await send({ method: "GET", url: realm, headers, what }, this.#timeouts, this.#notice);
      } catch (error) {
        if (attempt < this.#timeouts.attempts && isTransient(error)) {
          await this.#backoff(attempt++, describeFailure(error), what);
          continue;
        }
        throw this.#networkError(error, realm);
      }
      if (isTransientStatus(response.status) && attempt < this.#timeouts.attempts) {
        response.discard();
        response = undefined;
        await this.#backoff(attempt++, "server error", what);
      }
    }
    this.#logger?.debug({ url: redact(realm.toString()), status: response.status }, "registry token request");
    if (response.status === 401 || response.status === 403) {
      response.discard();
      throw this.#unauthorized(
        this.#credentials ? "the registry rejected the credentials" : "the registry requires a login",
      );
    }
    if (response.status !== 200)
      throw await this.#statusError(response, "GET", realm.origin + realm.pathname);
    const body = await readBody(response, LIMITS.tokenBodyBytes, what, this.#timeouts);
    const token = TokenResponse.safeParse(safeJson(body));
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

  #networkError(error: unknown, url: URL): unknown {
    if (error instanceof Error && error.name === "ParticleError") return error;
    const code = (error as { code?: string }).code ?? "";
    const detail = (error as Error).message;
    if (/EPROTO|wrong version number|ERR_SSL/.test(`${code} ${detail}`)) {
      return ociError("REGISTRY_INSECURE_REFUSED", `${this.host} does not speak HTTPS`, {
        context: { host: this.host },
      });
    }
    return ociError("REGISTRY_UNREACHABLE", `cannot reach ${redact(url.toString())}: ${code || detail}`, {
      context: { host: this.host },
    });
  }

  async #statusError(response: HttpResponse, method: string, url: string): Promise<ParticleError> {
    const text = await readBody(
      response,
      LIMITS.errorBodyBytes,
      `the error answer of ${this.host}`,
      this.#timeouts,
    ).then(
      (b) => b,
      () => Buffer.alloc(0),
    );
    const parsed = RegistryErrorBody.safeParse(safeJson(text));
    const codes = parsed.success
      ? parsed.data.errors
          .slice(0, 5)
          .map((e) => `${e.code}${e.message ? ` (${e.message.slice(0, 200)})` : ""}`)
          .join("; ")
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
    const what = `manifest ${reference} of ${this.host}/${this.repository}`;
    const response = await this.#request("GET", `/v2/${this.repository}/manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT },
      scope: "pull",
      expect: [200],
      what,
    });
    const bytes = await readBody(response, LIMITS.manifestBytes, what, this.#timeouts);
    const digest = descriptorOf(bytes, "x/y").digest;
    if (reference.startsWith("sha256:") && digest !== reference) {
      throw ociError("BLOB_DIGEST_MISMATCH", `manifest ${reference} from ${this.host} has digest ${digest}`, {
        context: { digest: reference, actual: digest },
      });
    }
    const declared = (safeJson(bytes) as { mediaType?: unknown } | undefined)?.mediaType;
    const mediaType =
      String(response.headers["content-type"] ?? "")
        .split(";")[0]
        ?.trim() ||
      (typeof declared === "string" ? declared : "") ||
      MediaType.ociManifest;
    return { bytes, mediaType, digest };
  }

  async hasManifest(reference: string): Promise<boolean> {
    const response = await this.#request("HEAD", `/v2/${this.repository}/manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT },
      scope: "pull",
      expect: [200, 404],
      what: `manifest ${reference} of ${this.host}/${this.repository}`,
    });
    response.discard();
    return response.status === 200;
  }

  async putManifest(bytes: Buffer, mediaType: string, reference: string): Promise<string> {
    const response = await this.#request("PUT", `/v2/${this.repository}/manifests/${reference}`, {
      headers: { "content-type": mediaType },
      body: bytes,
      scope: "push,pull",
      expect: [201],
      what: `upload of manifest ${reference} to ${this.host}/${this.repository}`,
    });
    response.discard();
    return descriptorOf(bytes, mediaType).digest;
  }

  async hasBlob(digest: string): Promise<boolean> {
    const response = await this.#request("HEAD", `/v2/${this.repository}/blobs/${digest}`, {
      scope: "pull",
      expect: [200, 404],
      what: `blob ${digest} of ${this.host}/${this.repository}`,
    });
    response.discard();
    return response.status === 200;
  }

  /**
   * A blob's content, verified against its descriptor as it streams (never more than its size). A
   * download cut by a reset or a timeout resumes where it stopped (Range; a registry that ignores
   * Range sends it again from the start and the bytes already read are skipped), up to the
   * retry count.
   */
  async getBlob(desc: Pick<Descriptor, "digest" | "size">): Promise<Readable> {
    checkDigest(desc.digest);
    const what = `blob ${desc.digest} of ${this.host}/${this.repository}`;
    const fetchFrom = async (offset: number): Promise<HttpResponse> => {
      const response = await this.#request("GET", `/v2/${this.repository}/blobs/${desc.digest}`, {
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
        scope: "pull",
        expect: offset > 0 ? [200, 206] : [200],
        what,
      });
      const length = Number(response.headers["content-length"] ?? "0");
      if (length > desc.size) {
        response.body.destroy();
        throw ociError(
          "BLOB_SIZE_MISMATCH",
          `${what} is ${length} bytes, its descriptor declares ${desc.size}`,
          {
            context: { digest: desc.digest },
          },
        );
      }
      if (
        response.status === 206 &&
        !String(response.headers["content-range"] ?? "").startsWith(`bytes ${offset}-`)
      ) {
        response.body.destroy();
        throw ociError(
          "REGISTRY_RESPONSE_INVALID",
          `${what}: the registry resumed at another offset than ${offset}`,
          {
            context: { digest: desc.digest },
          },
        );
      }
      return response;
    };
    const first = await fetchFrom(0);
    const timeouts = this.#timeouts;
    const backoff = (attempt: number, why: string) => this.#backoff(attempt, why, what);
    async function* chunks(): AsyncGenerator<Buffer> {
      let response = first;
      let offset = 0;
      let skip = 0;
      for (let attempt = 1; ; ) {
        try {
          for await (const data of response.body) {
            let chunk = data as Buffer;
            if (skip > 0) {
              const dropped = Math.min(skip, chunk.length);
              skip -= dropped;
              chunk = chunk.subarray(dropped);
            }
            offset += chunk.length;
            if (chunk.length > 0) yield chunk;
            if (offset > desc.size) return;
          }
          return;
        } catch (error) {
          if (!isTransient(error) || attempt >= timeouts.attempts || offset >= desc.size) throw error;
          await backoff(attempt++, `${describeFailure(error)} after ${offset} bytes`);
          response = await fetchFrom(offset);
          // A registry without Range support starts over: skip what was already passed on.
          if (response.status === 200) skip = offset;
        }
      }
    }
    return connect(Readable.from(chunks(), { objectMode: false }), verifier(desc, what));
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
    const what = `upload of blob ${desc.digest} to ${this.host}/${this.repository}`;
    const query = options.mountFrom
      ? `?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(options.mountFrom)}`
      : "";
    const start = await this.#request("POST", `/v2/${this.repository}/blobs/uploads/${query}`, {
      scope: "push,pull",
      expect: [201, 202],
      what,
    });
    start.discard();
    if (start.status === 201) return "mounted";
    let location = this.#location(start);
    const chunkSize = this.#chunkSize;
    if (chunkSize === undefined || desc.size <= chunkSize) {
      await this.#finish(location, desc, open, desc.size, what);
      return "uploaded";
    }
    let offset = 0;
    for await (const chunk of chunks(open(), chunkSize)) {
      const response = await this.#request("PATCH", location.toString(), {
        headers: {
          "content-type": "application/octet-stream",
          "content-range": `${offset}-${offset + chunk.length - 1}`,
          "content-length": String(chunk.length),
        },
        body: chunk,
        scope: "push,pull",
        expect: [202],
        what,
      });
      response.discard();
      offset += chunk.length;
      location = this.#location(response);
    }
    await this.#finish(location, desc, undefined, 0, what);
    return "uploaded";
  }

  async #finish(
    location: URL,
    desc: Pick<Descriptor, "digest">,
    open: (() => Readable) | undefined,
    length: number,
    what: string,
  ): Promise<void> {
    const url = new URL(location);
    url.searchParams.set("digest", desc.digest);
    const response = await this.#request("PUT", url.toString(), {
      headers: { "content-type": "application/octet-stream", "content-length": String(length) },
      body: open ?? Buffer.alloc(0),
      scope: "push,pull",
      expect: [201],
      what,
    });
    response.discard();
  }

  /** An upload's next URL; on another host it gets no credentials (#request sends them to this.host only). */
  #location(response: HttpResponse): URL {
    const location = response.headers.location;
    if (!location) throw ociError("REGISTRY_ERROR", `${this.host} started an upload without a Location`);
    const url = this.#url(location, response.url);
    if (this.#base.protocol === "https:" && url.protocol === "http:")
      throw ociError("REGISTRY_INSECURE_REFUSED", `${this.host} sends uploads to plain HTTP`, {
        context: { host: this.host },
      });
    return url;
  }

  /**
   * Checks that the registry accepts this client's credentials (GET /v2/, answering its challenge
   * without a repository scope), as `docker login` does.
   */
  async checkLogin(): Promise<void> {
    const url = this.#url("/v2/");
    const what = `the API root of ${this.host}`;
    const get = async (headers: Record<string, string>) => {
      try {
        const response = await send({ method: "GET", url, headers, what }, this.#timeouts, this.#notice);
        return response;
      } catch (error) {
        throw this.#networkError(error, url);
      }
    };
    const response = await get({});
    if (response.status === 200) return response.discard();
    if (response.status !== 401) throw await this.#statusError(response, "GET", url.toString());
    response.discard();
    const header = String(response.headers["www-authenticate"] ?? "");
    if (parseChallenge(header)?.scheme === "bearer") {
      await this.#authenticate(header, "");
      return;
    }
    if (!this.#credentials) throw this.#unauthorized("the registry requires a login");
    const retry = await get({ authorization: this.#credentials.basicHeader() });
    retry.discard();
    if (retry.status !== 200) throw this.#unauthorized("the registry rejected the credentials");
  }

  async listTags(): Promise<string[]> {
    const what = `the tags of ${this.host}/${this.repository}`;
    const response = await this.#request("GET", `/v2/${this.repository}/tags/list`, {
      scope: "pull",
      expect: [200],
      what,
    });
    const body = TagList.safeParse(
      safeJson(await readBody(response, LIMITS.tagListBytes, what, this.#timeouts)),
    );
    if (!body.success)
      throw ociError("DOCUMENT_INVALID", `the tag list of ${this.host}/${this.repository} is malformed`);
    return body.data.tags ?? [];
  }
}

/** JSON of a registry answer, or undefined (never an error quoting the text). */
function safeJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
}

function describeFailure(error: unknown): string {
  const code = (error as { code?: string }).code;
  return code === "REGISTRY_TIMEOUT" ? (error as Error).message : (code ?? "connection failed");
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
