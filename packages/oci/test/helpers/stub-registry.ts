import http from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { sha256Hex } from "@particle/runtime";
import { MediaType } from "../../src/index.js";

/**
 * A registry served by the test itself on 127.0.0.1 only, from memory: one image (`repo:t`), with
 * a hook that may answer any request in a hostile way first. Every request is recorded (method,
 * path, headers) so a test can tell what was fetched and which credentials went where.
 */

export interface StubImage {
  readonly manifest: Buffer;
  readonly manifestDigest: string;
  readonly blobs: ReadonlyMap<string, Buffer>;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** Answers a request itself (returns true) or leaves it to the image server. */
export type Hook = (req: http.IncomingMessage, res: http.ServerResponse, stub: StubRegistry) => boolean;

export interface StubRegistry {
  readonly host: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  readonly image: StubImage;
  close(): Promise<void>;
}

const digestOf = (b: Buffer) => `sha256:${sha256Hex(b)}`;

/** An image of gzip tar layers; `layerDescriptors` replaces the manifest's layer list (thousands of layers…). */
export function stubImage(layers: readonly Buffer[], layerDescriptors?: readonly object[]): StubImage {
  const blobs = new Map<string, Buffer>();
  const descs = layers.map((tar) => {
    const blob = gzipSync(tar);
    blobs.set(digestOf(blob), blob);
    return { mediaType: MediaType.ociLayerGzip, digest: digestOf(blob), size: blob.length };
  });
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: layers.map((t) => digestOf(t)) },
    }),
  );
  blobs.set(digestOf(config), config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: digestOf(config), size: config.length },
      layers: layerDescriptors ?? descs,
    }),
  );
  return { manifest, manifestDigest: digestOf(manifest), blobs };
}

/** Serves `image` (manifests by tag `t` or digest, blobs with Range) after `hook`. */
export async function startStubRegistry(
  image: StubImage,
  hook: Hook = () => false,
  address = "127.0.0.1",
): Promise<StubRegistry> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import("node:net").Socket>();
  let stub: StubRegistry;
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers });
    req.resume();
    if (hook(req, res, stub)) return;
    const url = new URL(req.url ?? "/", "http://stub");
    const manifest = /^\/v2\/.+\/manifests\/(.+)$/.exec(url.pathname);
    if (manifest && (manifest[1] === "t" || manifest[1] === image.manifestDigest)) {
      res.writeHead(200, {
        "content-type": MediaType.ociManifest,
        "content-length": image.manifest.length,
        "docker-content-digest": image.manifestDigest,
      });
      res.end(req.method === "HEAD" ? undefined : image.manifest);
      return;
    }
    const blob = /^\/v2\/.+\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
    const data = blob ? image.blobs.get(blob[1] as string) : undefined;
    if (data) {
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
      const start = range ? Number(range[1]) : 0;
      res.writeHead(range ? 206 : 200, {
        "content-length": data.length - start,
        "accept-ranges": "bytes",
        ...(range ? { "content-range": `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
      });
      res.end(req.method === "HEAD" ? undefined : data.subarray(start));
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ errors: [{ code: "NOT_FOUND", message: "no such thing" }] }));
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as AddressInfo;
  stub = {
    host: `${address}:${port}`,
    port,
    requests,
    image,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return stub;
}

/** Writes `chunk` forever (until the client goes away): an endless body. */
export function endless(res: http.ServerResponse, chunk: Buffer = Buffer.alloc(64 * 1024, 0x20)): void {
  const pump = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once("drain", pump);
  };
  res.on("close", () => res.removeAllListeners("drain"));
  pump();
}

/** Writes one byte per `everyMs` until the client goes away. */
export function trickle(res: http.ServerResponse, everyMs: number): void {
  const timer = setInterval(() => {
    if (res.destroyed) clearInterval(timer);
    else res.write(" ");
  }, everyMs);
  res.on("close", () => clearInterval(timer));
}
