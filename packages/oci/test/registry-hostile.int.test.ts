import type http from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { Store } from "@particle/composefs";
import { destroyScratch, requireRoot, scratchDir } from "@particle/test-kit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Credentials, importImage, parseRegistryRef, RegistryClient } from "../src/index.js";
import type { RegistryTimeouts } from "../src/limits.js";
import { file, makeTar } from "./fixtures/archives.js";
import { makeVictim, storeState, victimState } from "./helpers/hostile.js";
import {
  endless,
  type Hook,
  type StubImage,
  type StubRegistry,
  startStubRegistry,
  stubImage,
  trickle,
} from "./helpers/stub-registry.js";

/** Short waits so that every hostile case ends in seconds (the defaults are minutes). */
const TIMEOUTS: RegistryTimeouts = {
  connectMs: 2_000,
  idleMs: 1_000,
  lowSpeedBytes: 64,
  lowSpeedWindowMs: 1_500,
  documentMs: 5_000,
  attempts: 3,
  backoffMs: 50,
  noticeMs: 300,
};

const isManifest = (req: http.IncomingMessage) => /\/manifests\//.test(req.url ?? "");
const isLayer = (image: StubImage) => (req: http.IncomingMessage) => {
  const digest = /blobs\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? "")?.[1];
  const blob = digest ? image.blobs.get(digest) : undefined;
  // The layer, not the config: the config is JSON.
  return blob !== undefined && blob[0] === 0x1f;
};

/** Bytes an endless answer wrote before the client went away (the client must stop early). */
let written = 0;
const counted = (res: http.ServerResponse) => {
  const original = res.write.bind(res);
  res.write = ((chunk: Buffer, ...rest: never[]) => {
    written += chunk.length;
    return original(chunk, ...rest);
  }) as typeof res.write;
  return res;
};

interface Case {
  readonly name: string;
  readonly hook: (image: StubImage) => Hook;
  readonly code: string;
  /** Requests the stub must have seen at most (retries are bounded). */
  readonly maxRequests?: number;
}

const cases: Case[] = [
  {
    name: "an endless manifest",
    hook: () => (req, res) => {
      if (!isManifest(req)) return false;
      res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
      endless(counted(res));
      return true;
    },
    code: "REGISTRY_RESPONSE_INVALID",
  },
  {
    name: "a manifest declaring 5 GiB",
    hook: () => (req, res) => {
      if (!isManifest(req)) return false;
      res.writeHead(200, { "content-length": String(5 * 1024 ** 3) });
      endless(counted(res));
      return true;
    },
    code: "REGISTRY_RESPONSE_INVALID",
  },
  {
    name: "a gzip-encoded manifest bomb",
    hook: () => {
      const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 });
      return (req, res) => {
        if (!isManifest(req)) return false;
        res.writeHead(200, { "content-encoding": "gzip", "content-length": bomb.length });
        res.end(bomb);
        return true;
      };
    },
    code: "REGISTRY_RESPONSE_INVALID",
  },
  {
    name: "an endless error body",
    hook: () => (req, res) => {
      if (!isManifest(req)) return false;
      res.writeHead(404, { "content-type": "application/json" });
      endless(counted(res), Buffer.from('{"errors":[{"code":"NOT_FOUND","message":"'.padEnd(65536, "x")));
      return true;
    },
    code: "REGISTRY_NOT_FOUND",
  },
  {
    name: "an endless token",
    hook: () => (req, res, stub) => {
      if (req.url?.startsWith("/token")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"token":"');
        endless(counted(res), Buffer.alloc(65536, 0x61));
        return true;
      }
      if (req.headers.authorization) return false;
      res.writeHead(401, {
        "www-authenticate": `Bearer realm="http://127.0.0.1:${stub.port}/token",service="stub"`,
      });
      res.end();
      return true;
    },
    code: "REGISTRY_RESPONSE_INVALID",
  },
  {
    name: "a registry that never sends headers",
    hook: () => () => true,
    code: "REGISTRY_TIMEOUT",
    maxRequests: TIMEOUTS.attempts,
  },
  {
    name: "a manifest trickling a byte per second",
    hook: () => (req, res) => {
      if (!isManifest(req)) return false;
      res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
      trickle(res, 1000);
      return true;
    },
    code: "REGISTRY_TIMEOUT",
    maxRequests: TIMEOUTS.attempts,
  },
  {
    name: "a layer trickling a byte per second",
    hook: (image) => (req, res) => {
      if (!isLayer(image)(req)) return false;
      res.writeHead(200);
      trickle(res, 1000);
      return true;
    },
    code: "REGISTRY_TIMEOUT",
  },
  {
    name: "a layer longer than its descriptor, without Content-Length",
    hook: (image) => (req, res) => {
      if (!isLayer(image)(req)) return false;
      res.writeHead(200);
      endless(counted(res));
      return true;
    },
    code: "BLOB_SIZE_MISMATCH",
  },
  {
    name: "a registry answering 503 forever",
    hook: () => (_req, res) => {
      res.writeHead(503).end();
      return true;
    },
    code: "REGISTRY_ERROR",
    maxRequests: TIMEOUTS.attempts,
  },
];

describe("pulling from a hostile registry fails in bounded time and memory, the store unchanged", () => {
  let dir: string;
  let store: Store;
  let victim: string;
  let layer: Buffer;
  const stubs: StubRegistry[] = [];
  const notices: string[] = [];
  const logger = {
    debug: () => undefined,
    warn: (_: unknown, message: string) => void notices.push(message),
  };
  const pull = (stub: StubRegistry, name = "pulled:1") =>
    importImage(store, `docker://${stub.host}/evil/img:t`, name, {
      workDir: path.join(dir, "work"),
      timeouts: TIMEOUTS,
      logger,
    });

  beforeAll(async () => {
    requireRoot();
    dir = await scratchDir("oci-hostile-registry", { scope: "manual" });
    store = await Store.open(path.join(dir, "store"), { create: true, runDir: path.join(dir, "run") });
    victim = await makeVictim(dir);
    layer = await makeTar([file("etc/hostname", "pulled\n"), file("big", Buffer.alloc(200_000, 7))]);
  });
  afterEach(async () => {
    for (const stub of stubs.splice(0)) await stub.close();
    notices.length = 0;
    written = 0;
  });
  afterAll(async () => dir && destroyScratch(dir));

  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const image = stubImage([layer]);
    const stub = await startStubRegistry(image, c.hook(image));
    stubs.push(stub);
    const before = { store: await storeState(store.root), victim: await victimState(victim) };
    await expect(pull(stub)).rejects.toMatchObject({ code: c.code });
    expect(await storeState(store.root)).toEqual(before.store);
    expect(await victimState(victim)).toEqual(before.victim);
    // The client stopped reading long before memory could suffer.
    expect(written).toBeLessThan(64 * 1024 * 1024);
    if (c.maxRequests !== undefined)
      expect(stub.requests.filter((r) => r.path.includes("/manifests/")).length).toBeLessThanOrEqual(
        c.maxRequests,
      );
  });

  it("refuses a manifest with 5000 layers before fetching any blob", async () => {
    const image = stubImage(
      [layer],
      Array.from({ length: 5000 }, (_, i) => ({
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        digest: `sha256:${i.toString(16).padStart(64, "0")}`,
        size: 1000,
      })),
    );
    const stub = await startStubRegistry(image);
    stubs.push(stub);
    const before = await storeState(store.root);
    await expect(pull(stub)).rejects.toMatchObject({ code: "IMAGE_TOO_MANY_LAYERS" });
    expect(stub.requests.filter((r) => r.path.includes("/blobs/"))).toEqual([]);
    expect(await storeState(store.root)).toEqual(before);
  });

  it("says what it waits for when a registry hangs", async () => {
    const image = stubImage([layer]);
    const stub = await startStubRegistry(image, () => true);
    stubs.push(stub);
    await expect(pull(stub)).rejects.toMatchObject({ code: "REGISTRY_TIMEOUT" });
    expect(
      notices.some((n) =>
        n.includes(`waiting for ${stub.host} to answer: manifest t of ${stub.host}/evil/img`),
      ),
    ).toBe(true);
  });

  it("retries a 503 with backoff and then pulls", async () => {
    const image = stubImage([await makeTar([file("retried", "1")])]);
    let failures = 2;
    const stub = await startStubRegistry(image, (req, res) => {
      if (!isManifest(req) || failures-- <= 0) return false;
      res.writeHead(503).end();
      return true;
    });
    stubs.push(stub);
    const result = await pull(stub, "retried:1");
    expect(result.layers).toHaveLength(1);
    expect(stub.requests.filter((r) => r.path.includes("/manifests/t"))).toHaveLength(3);
  });

  it.each([
    ["with Range", true],
    ["from a registry without Range support", false],
  ])("resumes a layer download cut by a reset %s", async (_name, ranges) => {
    // A layer of its own: one the store already has would not be downloaded at all.
    const image = stubImage([await makeTar([file(`resumed-${ranges}`, Buffer.alloc(300_000, 9))])]);
    let cut = false;
    const stub = await startStubRegistry(image, (req, res) => {
      if (!isLayer(image)(req)) return false;
      const data = image.blobs.get(/(sha256:[a-f0-9]{64})$/.exec(req.url ?? "")?.[1] as string) as Buffer;
      if (!cut) {
        cut = true;
        res.writeHead(200, { "content-length": data.length });
        res.write(data.subarray(0, Math.floor(data.length / 2)), () => res.socket?.destroy());
        return true;
      }
      return !ranges && (res.writeHead(200, { "content-length": data.length }).end(data), true);
    });
    stubs.push(stub);
    const result = await pull(stub, `resumed-${ranges}:1`);
    expect(result.layers).toHaveLength(1);
    const layerRequests = stub.requests.filter((r) => r.path.includes("/blobs/") && r.method === "GET");
    expect(layerRequests.some((r) => r.headers.range?.startsWith("bytes="))).toBe(true);
  });
});

describe("credentials go only to the registry's own host", () => {
  const stubs: StubRegistry[] = [];
  afterEach(async () => {
    for (const stub of stubs.splice(0)) await stub.close();
  });
  const alice = new Credentials("alice", "pa55-word");

  /** A registry on 127.0.0.1 that demands basic auth for everything. */
  const basicAuth =
    (next: Hook = () => false): Hook =>
    (req, res, stub) => {
      if (req.headers.authorization !== alice.basicHeader()) {
        res.writeHead(401, { "www-authenticate": 'Basic realm="stub"' }).end();
        return true;
      }
      return next(req, res, stub);
    };

  /** A second server on another loopback address: a different host. */
  async function foreignHost(image: StubImage, hook: Hook = () => false): Promise<StubRegistry> {
    const stub = await startStubRegistry(image, hook, "127.0.0.2");
    stubs.push(stub);
    return stub;
  }

  it("does not send credentials along a redirect to another host", async () => {
    const image = stubImage([await makeTar([file("a", "1")])]);
    const storage = await foreignHost(image);
    const stub = await startStubRegistry(
      image,
      basicAuth((req, res) => {
        if (!req.url?.includes("/blobs/")) return false;
        res.writeHead(307, { location: `http://${storage.host}${req.url}` }).end();
        return true;
      }),
    );
    stubs.push(stub);
    const client = new RegistryClient({
      host: stub.host,
      repository: "evil/img",
      credentials: alice,
      timeouts: TIMEOUTS,
    });
    const manifest = JSON.parse((await client.getManifest("t")).bytes.toString());
    const blob = await client.getBlob(manifest.layers[0]);
    for await (const _ of blob);
    expect(storage.requests.length).toBeGreaterThan(0);
    expect(storage.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(stub.requests.some((r) => r.headers.authorization === alice.basicHeader())).toBe(true);
  });

  it("does not send credentials to an upload Location on another host", async () => {
    const image = stubImage([]);
    const uploads = await foreignHost(image, (req, res) => {
      res.writeHead(req.method === "PUT" ? 201 : 202).end();
      return true;
    });
    const stub = await startStubRegistry(
      image,
      basicAuth((req, res) => {
        if (req.method !== "POST") return false;
        res.writeHead(202, { location: `http://${uploads.host}/upload/1` }).end();
        return true;
      }),
    );
    stubs.push(stub);
    const client = new RegistryClient({
      host: stub.host,
      repository: "evil/img",
      credentials: alice,
      timeouts: TIMEOUTS,
    });
    const data = Buffer.from("blob");
    const digest = `sha256:${(await import("node:crypto")).createHash("sha256").update(data).digest("hex")}`;
    expect(await client.putBlob({ digest, size: data.length }, () => Readable.from([data]))).toBe("uploaded");
    expect(uploads.requests.map((r) => r.method)).toEqual(["PUT"]);
    expect(uploads.requests[0]?.headers.authorization).toBeUndefined();
  });

  it.each([
    ["a token service over plain HTTP on another host", "http://registry.invalid/token"],
    ["a token service URL with user info", "https://user:pw@registry.invalid/token"],
  ])("refuses to send credentials to %s", async (_name, realm) => {
    const image = stubImage([]);
    const stub = await startStubRegistry(image, (_req, res) => {
      res.writeHead(401, { "www-authenticate": `Bearer realm="${realm}",service="x"` }).end();
      return true;
    });
    stubs.push(stub);
    const client = new RegistryClient({
      host: stub.host,
      repository: "evil/img",
      credentials: alice,
      timeouts: TIMEOUTS,
    });
    await expect(client.getManifest("t")).rejects.toMatchObject({ code: "REGISTRY_CREDENTIALS_REFUSED" });
  });

  it("sends a bearer token to the registry only, not to the host it redirects to", async () => {
    const image = stubImage([await makeTar([file("a", "1")])]);
    const storage = await foreignHost(image);
    const stub = await startStubRegistry(image, (req, res, self) => {
      if (req.url?.startsWith("/token")) {
        res.writeHead(200, { "content-type": "application/json" }).end('{"token":"secret-token"}');
        return true;
      }
      if (req.headers.authorization !== "Bearer secret-token") {
        res
          .writeHead(401, { "www-authenticate": `Bearer realm="http://127.0.0.1:${self.port}/token"` })
          .end();
        return true;
      }
      if (!req.url?.includes("/blobs/")) return false;
      res.writeHead(302, { location: `http://${storage.host}${req.url}` }).end();
      return true;
    });
    stubs.push(stub);
    const client = new RegistryClient({
      host: stub.host,
      repository: "evil/img",
      credentials: alice,
      timeouts: TIMEOUTS,
    });
    const manifest = JSON.parse((await client.getManifest("t")).bytes.toString());
    for await (const _ of await client.getBlob(manifest.layers[0]));
    expect(storage.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it("refuses user info in an image reference without echoing it", () => {
    let error: { code?: string; message?: string } | undefined;
    try {
      parseRegistryRef("alice:pa55-word@registry.example/team/app:1");
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.code).toBe("REF_INVALID");
    expect(error?.message).not.toContain("pa55-word");
  });
});
