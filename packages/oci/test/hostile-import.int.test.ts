import { promises as fs } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { Store } from "@particle/composefs";
import { causeChain, run } from "@particle/runtime";
import { destroyScratch, requireRoot, scratchDir } from "@particle/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importImage, inspectImage, MediaType, OciLayoutDir } from "../src/index.js";
import { dir as dirEntry, file, hostileXattrNames, makeTar, symlink, zeroBomb } from "./fixtures/archives.js";
import {
  type LayoutSpec,
  makeDockerArchive,
  makeLayout,
  makeOciArchive,
  makeVictim,
  storeState,
  victimState,
} from "./helpers/hostile.js";

describe("importing hostile images leaves the store unchanged", () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    requireRoot();
    dir = await scratchDir("oci-hostile", { scope: "manual" });
    store = await Store.open(path.join(dir, "store"), { create: true, runDir: path.join(dir, "run") });
  });
  afterAll(async () => dir && destroyScratch(dir));

  it("imports a well-formed small image (the control case)", async () => {
    const ref = `oci:${await makeLayout(path.join(dir, "good"), {
      layers: [await makeTar([dirEntry("etc"), file("etc/hostname", "ok\n")])],
    })}:t`;
    const result = await importImage(store, ref, "good:1", { workDir: path.join(dir, "work") });
    expect(result.layers).toHaveLength(1);
  });

  it("imports a docker-archive whose layer is a relative symlink to another member, as docker save writes", async () => {
    const layer = await makeTar([dirEntry("etc"), file("etc/hostname", "ok\n")]);
    const archive = await makeDockerArchive(path.join(dir, "saved.tar"), [layer, layer], (items) =>
      items.map(([e, b]) =>
        e.path === "layer1/layer.tar"
          ? [{ ...e, type: "symlink", size: 0, linkname: "../layer0/layer.tar" }, Buffer.alloc(0)]
          : [e, b],
      ),
    );
    const result = await importImage(store, `docker-archive:${archive}`, "saved:1", {
      workDir: path.join(dir, "work"),
    });
    expect(result.layers).toHaveLength(2);
  });

  it.each<[string, () => Promise<LayoutSpec>, string]>([
    [
      "a layer blob changed after it was described",
      async () => ({
        layers: [await makeTar([file("a", "1")])],
        tamper: (b) => Buffer.concat([b.subarray(0, -1), Buffer.from([b.at(-1)! ^ 1])]),
      }),
      "BLOB_DIGEST_MISMATCH",
    ],
    [
      "a truncated layer blob",
      async () => ({
        layers: [await makeTar([file("a", "x".repeat(5000))])],
        tamper: (b) => b.subarray(0, b.length - 10),
      }),
      "BLOB_SIZE_MISMATCH",
    ],
    [
      "a diffID that does not match the layer",
      async () => ({ layers: [await makeTar([file("a", "1")])], diffIds: [`sha256:${"0".repeat(64)}`] }),
      "BLOB_DIGEST_MISMATCH",
    ],
    [
      "a path traversal inside a layer",
      async () => ({ layers: [await makeTar([file("../../../../tmp/pwned", "x")])] }),
      "TAR_PATH_TRAVERSAL",
    ],
    [
      "a write through a symlink",
      async () => ({ layers: [await makeTar([symlink("etc", "/etc"), file("etc/cron.d/evil", "x")])] }),
      "TAR_WRITE_THROUGH_SYMLINK",
    ],
    [
      "an unknown layer media type",
      async () => ({ layers: [await makeTar([file("a", "1")])], mediaType: "application/x-evil" }),
      "MEDIA_TYPE_UNSUPPORTED",
    ],
    [
      "a malformed manifest",
      async () => ({ layers: [], manifestBytes: Buffer.from('{"schemaVersion": 2, "layers": [') }),
      "DOCUMENT_INVALID",
    ],
    [
      "a manifest of the wrong shape",
      async () => ({
        layers: [],
        manifestBytes: Buffer.from(
          '{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": "x"}',
        ),
      }),
      "DOCUMENT_INVALID",
    ],
  ])("%s", async (name, build, code) => {
    const before = await storeState(store.root);
    const ref = `oci:${await makeLayout(path.join(dir, name.replace(/\W+/g, "-")), await build())}:t`;
    await expect(
      importImage(store, ref, "evil:1", { workDir: path.join(dir, "work") }),
    ).rejects.toMatchObject({ code });
    expect(await storeState(store.root)).toEqual(before);
    await expect(fs.access("/tmp/pwned")).rejects.toThrow();
    expect(await fs.readdir(path.join(dir, "work"))).toEqual([]);
  });

  it("stops a decompression bomb", async () => {
    const before = await storeState(store.root);
    const root = path.join(dir, "bomb");
    const layout = await OciLayoutDir.open(root, { create: true });
    const bomb = await zeroBomb(64 * 1024 * 1024);
    const stored = await layout.putBlob(Readable.from([bomb]));
    const config = await layout.putJson(
      {
        architecture: "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: [`sha256:${"1".repeat(64)}`] },
      },
      MediaType.ociConfig,
    );
    await layout.setRef(
      await layout.putJson(
        { schemaVersion: 2, config, layers: [{ mediaType: MediaType.ociLayerGzip, ...stored }] },
        MediaType.ociManifest,
      ),
      "t",
    );
    await expect(
      importImage(store, `oci:${root}:t`, "bomb:1", {
        workDir: path.join(dir, "work"),
        limits: { maxRatio: 100, ratioGraceBytes: 1024 * 1024 },
      }),
    ).rejects.toMatchObject({ code: "DECOMPRESSION_LIMIT" });
    expect(await storeState(store.root)).toEqual(before);
  });
});

/** A hostile input: where it is built, what reads it (import or inspect), the code it must fail with. */
interface HostileCase {
  readonly name: string;
  readonly op: "import" | "inspect";
  readonly code: string;
  /** Builds the input below `at` and returns its reference; `victim` is a host file to aim at. */
  build(at: string, victim: string): Promise<string>;
}

type Items = Parameters<typeof makeTar>[0];

/** The same layer on the three local surfaces, read by import; the layer may aim at the victim. */
function onEverySurface(
  name: string,
  code: string,
  layer: (victim: string) => Promise<Buffer>,
): HostileCase[] {
  return [
    {
      name: `oci: ${name}`,
      op: "import",
      code,
      build: async (at, victim) => `oci:${await makeLayout(at, { layers: [await layer(victim)] })}:t`,
    },
    {
      name: `oci-archive: ${name}`,
      op: "import",
      code,
      build: async (at, victim) =>
        `oci-archive:${await makeOciArchive(`${at}.tar`, await makeLayout(at, { layers: [await layer(victim)] }))}:t`,
    },
    {
      name: `docker-archive: ${name}`,
      op: "import",
      code,
      build: async (at, victim) =>
        `docker-archive:${await makeDockerArchive(`${at}.tar`, [await layer(victim)])}`,
    },
  ];
}

/** Archives whose members are edited (hostile members), read by inspect: it writes only scratch. */
function onArchiveMembers(
  name: string,
  code: string | readonly [oci: string, docker: string],
  edit: (items: Items, victim: string) => Items,
): HostileCase[] {
  const [ociCode, dockerCode] = typeof code === "string" ? [code, code] : code;
  const layer = () => makeTar([file("a", "1")]);
  return [
    {
      name: `oci-archive member: ${name}`,
      op: "inspect",
      code: ociCode,
      build: async (at, victim) =>
        `oci-archive:${await makeOciArchive(`${at}.tar`, await makeLayout(at, { layers: [await layer()] }), (i) => edit(i, victim))}:t`,
    },
    {
      name: `docker-archive member: ${name}`,
      op: "inspect",
      code: dockerCode,
      build: async (at, victim) =>
        `docker-archive:${await makeDockerArchive(`${at}.tar`, [await layer()], (i) => edit(i, victim))}`,
    },
  ];
}

/** Sets fields on the member holding the image's index (index.json or manifest.json). */
const onIndexMember = (items: Items, fields: Partial<Items[number][0]>): Items =>
  items.map(([e, b]) =>
    e.path === "index.json" || e.path === "manifest.json" ? [{ ...e, ...fields }, b] : [e, b],
  );

const VICTIM = "@VICTIM@";
const aim = (text: string, victim: string) => text.replace(VICTIM, victim);

/** A layout of one small image whose files are then changed on disk by `edit` (the layout is the input). */
function onLayoutFiles(
  name: string,
  code: string,
  edit: (layout: string, victim: string) => Promise<void>,
): HostileCase {
  return {
    name: `oci files: ${name}`,
    op: "import",
    code,
    build: async (at, victim) => {
      await makeLayout(at, { layers: [await makeTar([file("a", "1")])] });
      await edit(at, victim);
      return `oci:${at}:t`;
    },
  };
}

/** The layout's only layer blob. */
async function layerBlob(layout: string): Promise<string> {
  const index = JSON.parse(await fs.readFile(path.join(layout, "index.json"), "utf8"));
  const manifest = JSON.parse(
    await fs.readFile(path.join(layout, "blobs", index.manifests[0].digest.replace(":", "/")), "utf8"),
  );
  return path.join(layout, "blobs", manifest.layers[0].digest.replace(":", "/"));
}

const replaceWith = async (file: string, make: (file: string) => Promise<unknown>) => {
  await fs.rm(file);
  await make(file);
};
const fifo = (file: string) => run("mkfifo", [file]);
const zeroDevice = (file: string) => run("mknod", [file, "c", "1", "5"]);
const sparse = (size: number) => async (file: string) => {
  await fs.writeFile(file, "");
  await fs.truncate(file, size);
};
const TiB = 1024 ** 4;

/** Archive members replaced by a symlink, a FIFO or a device. */
const replaceMember = (
  items: Items,
  member: (p: string) => boolean,
  fields: Partial<Items[number][0]>,
): Items =>
  items.map(([e, b]) => (member(e.path) ? [{ ...e, size: 0, ...fields }, Buffer.alloc(0)] : [e, b]));
const isIndex = (p: string) => p === "index.json" || p === "manifest.json";
const isLayerBlob = (p: string) => /^blobs\/sha256\/|^layer0\/layer\.tar$/.test(p) && !p.endsWith("/");

/** Descriptors of 5000 layers that do not exist: nothing may try to read them. */
const THOUSANDS_OF_LAYERS = Array.from({ length: 5000 }, (_, i) => ({
  mediaType: MediaType.ociLayerGzip,
  digest: `sha256:${i.toString(16).padStart(64, "0")}`,
  size: 1000,
}));

const hostileCases: HostileCase[] = [
  // 1. xattr names: never a text format, only known namespaces and printable names.
  ...hostileXattrNames(VICTIM).flatMap(([name, xattr, value]) => [
    ...onEverySurface(name, "TAR_XATTR_INVALID", (victim) =>
      makeTar([file("etc/motd", "hello\n", { xattrs: { [aim(xattr, victim)]: value } })]),
    ),
    ...onArchiveMembers(name, "TAR_XATTR_INVALID", (items, victim) =>
      onIndexMember(items, { xattrs: { [aim(xattr, victim)]: value } }),
    ),
  ]),
  // 2. Files of layouts and archive members: no-follow, regular files only, bounded reads.
  onLayoutFiles("index.json is a symlink to a host file", "INPUT_NOT_REGULAR", async (at, victim) =>
    replaceWith(path.join(at, "index.json"), (f) => fs.symlink(victim, f)),
  ),
  onLayoutFiles("oci-layout is a symlink to a host file", "INPUT_NOT_REGULAR", async (at, victim) =>
    replaceWith(path.join(at, "oci-layout"), (f) => fs.symlink(victim, f)),
  ),
  onLayoutFiles("a blob is an absolute symlink to a host file", "INPUT_SYMLINK_ESCAPE", async (at, victim) =>
    replaceWith(await layerBlob(at), (f) => fs.symlink(victim, f)),
  ),
  onLayoutFiles("a blob is a relative symlink climbing out", "INPUT_SYMLINK_ESCAPE", async (at, victim) =>
    replaceWith(await layerBlob(at), (f) => fs.symlink(path.relative(path.dirname(f), victim), f)),
  ),
  onLayoutFiles("blobs is a symlink to a host directory", "INPUT_SYMLINK_ESCAPE", async (at, victim) => {
    await fs.rename(path.join(at, "blobs"), path.join(path.dirname(victim), "blobs"));
    await fs.symlink(path.join(path.dirname(victim), "blobs"), path.join(at, "blobs"));
  }),
  onLayoutFiles("a blob is a FIFO", "INPUT_NOT_REGULAR", async (at) =>
    replaceWith(await layerBlob(at), fifo),
  ),
  onLayoutFiles("a blob is /dev/zero", "INPUT_NOT_REGULAR", async (at) =>
    replaceWith(await layerBlob(at), zeroDevice),
  ),
  onLayoutFiles("index.json is a FIFO", "INPUT_NOT_REGULAR", async (at) =>
    replaceWith(path.join(at, "index.json"), fifo),
  ),
  onLayoutFiles("index.json is a 1 TiB sparse file", "DOCUMENT_TOO_LARGE", async (at) =>
    replaceWith(path.join(at, "index.json"), sparse(TiB)),
  ),
  onLayoutFiles("a blob is a 1 TiB sparse file", "BLOB_SIZE_MISMATCH", async (at) =>
    replaceWith(await layerBlob(at), sparse(TiB)),
  ),
  // An oci-archive's index.json is opened with O_NOFOLLOW; a docker-archive's files are resolved inside it.
  ...onArchiveMembers(
    "the index is a symlink to a host file",
    ["INPUT_NOT_REGULAR", "INPUT_SYMLINK_ESCAPE"],
    (items, victim) => replaceMember(items, isIndex, { type: "symlink", linkname: victim }),
  ),
  ...onArchiveMembers(
    "a layer is an absolute symlink to a host file",
    "INPUT_SYMLINK_ESCAPE",
    (items, victim) => replaceMember(items, isLayerBlob, { type: "symlink", linkname: victim }),
  ).map((c) => ({ ...c, op: "import" as const })),
  ...onArchiveMembers("the index is a FIFO", "INPUT_NOT_REGULAR", (items) =>
    replaceMember(items, isIndex, { type: "fifo" }),
  ),
  ...onArchiveMembers("a layer is a FIFO", "INPUT_NOT_REGULAR", (items) =>
    replaceMember(items, isLayerBlob, { type: "fifo" }),
  ).map((c) => ({ ...c, op: "import" as const })),
  {
    name: "docker-archive member: the config is a symlink to a host file",
    op: "inspect",
    code: "INPUT_SYMLINK_ESCAPE",
    build: async (at, victim) =>
      `docker-archive:${await makeDockerArchive(`${at}.tar`, [await makeTar([file("a", "1")])], (items) =>
        replaceMember(items, (p) => p === "config.json", { type: "symlink", linkname: victim }),
      )}`,
  },
  // 6. Layer count: refused from the manifest, before any layer is read.
  {
    name: "oci: a manifest with 5000 layers",
    op: "import",
    code: "IMAGE_TOO_MANY_LAYERS",
    build: async (at) =>
      `oci:${await makeLayout(at, { layers: [], layerDescriptors: THOUSANDS_OF_LAYERS })}:t`,
  },
  {
    name: "oci-archive: a manifest with 5000 layers",
    op: "inspect",
    code: "IMAGE_TOO_MANY_LAYERS",
    build: async (at) =>
      `oci-archive:${await makeOciArchive(`${at}.tar`, await makeLayout(at, { layers: [], layerDescriptors: THOUSANDS_OF_LAYERS }))}:t`,
  },
  {
    name: "docker-archive: a manifest.json with 5000 layers",
    op: "inspect",
    code: "IMAGE_TOO_MANY_LAYERS",
    build: async (at) =>
      `docker-archive:${await makeDockerArchive(`${at}.tar`, [await makeTar([file("a", "1")])], (items) =>
        items.map(([e, b]) => {
          if (e.path !== "manifest.json") return [e, b];
          const list = JSON.parse(b.toString());
          list[0].Layers = Array.from({ length: 5000 }, (_, i) => `missing${i}/layer.tar`);
          const data = Buffer.from(JSON.stringify(list));
          return [{ ...e, size: data.length }, data];
        }),
      )}`,
  },
  {
    name: "oci-archive: the archive is a FIFO",
    op: "inspect",
    code: "INPUT_NOT_REGULAR",
    build: async (at) => {
      await fifo(`${at}.tar`);
      return `oci-archive:${at}.tar`;
    },
  },
  {
    name: "docker-archive: the archive is /dev/zero",
    op: "inspect",
    code: "INPUT_NOT_REGULAR",
    build: async () => "docker-archive:/dev/zero",
  },
];

describe("hostile inputs on every surface fail cleanly and change nothing outside scratch space", () => {
  let dir: string;
  let store: Store;
  let victim: string;
  beforeAll(async () => {
    requireRoot();
    dir = await scratchDir("oci-hostile-surfaces", { scope: "manual" });
    store = await Store.open(path.join(dir, "store"), { create: true, runDir: path.join(dir, "run") });
    victim = await makeVictim(dir);
  });
  afterAll(async () => dir && destroyScratch(dir));

  it.each(hostileCases.map((c) => [c.name, c] as const))("%s", async (name, c) => {
    const work = path.join(dir, "work");
    const before = { store: await storeState(store.root), victim: await victimState(victim) };
    const ref = await c.build(path.join(dir, "inputs", name.replace(/\W+/g, "-")), victim);
    const outcome =
      c.op === "import"
        ? importImage(store, ref, "evil:1", { workDir: work })
        : inspectImage(ref, { workDir: work });
    const error = await outcome.then(
      () => undefined,
      (e: unknown) => e as { code?: string; message?: string },
    );
    expect(await victimState(victim)).toEqual(before.victim);
    expect(await storeState(store.root)).toEqual(before.store);
    expect({ code: error?.code }).toEqual({ code: c.code });
    expect(causeChain(error).join("\n")).not.toContain("root-only-secret-content");
    expect(await fs.readdir(work).catch(() => [])).toEqual([]);
  });
});
