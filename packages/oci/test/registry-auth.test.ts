import { promises as fs } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  Credentials,
  credentialsFor,
  isLoopbackHost,
  parseChallenge,
  RegistryClient,
  removeCredentials,
  storeCredentials,
} from "../src/index.js";
import { checkAuthFile } from "../src/registry/auth-file.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A stub registry on loopback that demands a bearer token from its own token endpoint. */
async function bearerRegistry(): Promise<{ host: string; tokenRequests: string[] }> {
  const tokenRequests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/token") {
      tokenRequests.push(
        `${url.searchParams.get("service")} ${url.searchParams.get("scope")} ${req.headers.authorization ?? "anonymous"}`,
      );
      if (req.headers.authorization !== new Credentials("bob", "pw").basicHeader()) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: "tok123" }));
      return;
    }
    if (req.headers.authorization !== "Bearer tok123") {
      const { port } = server.address() as import("node:net").AddressInfo;
      res
        .writeHead(401, {
          "www-authenticate": `Bearer realm="http://127.0.0.1:${port}/token",service="stub",scope="repository:team/app:pull"`,
        })
        .end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
      return;
    }
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ name: "team/app", tags: ["1.0"] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { host: `127.0.0.1:${(server.address() as import("node:net").AddressInfo).port}`, tokenRequests };
}

describe("bearer token auth", () => {
  it("answers the challenge with a token fetched with basic credentials", async () => {
    const stub = await bearerRegistry();
    const client = new RegistryClient({
      host: stub.host,
      repository: "team/app",
      credentials: new Credentials("bob", "pw"),
    });
    expect(await client.listTags()).toEqual(["1.0"]);
    expect(stub.tokenRequests).toEqual([
      `stub repository:team/app:pull ${new Credentials("bob", "pw").basicHeader()}`,
    ]);
  });

  it("reports a rejected login without the password", async () => {
    const stub = await bearerRegistry();
    const client = new RegistryClient({
      host: stub.host,
      repository: "team/app",
      credentials: new Credentials("bob", "hunter2"),
    });
    const error = (await client.listTags().catch((e: unknown) => e)) as Error & {
      code: string;
      toJSON(): unknown;
    };
    expect(error.code).toBe("REGISTRY_UNAUTHORIZED");
    expect(JSON.stringify(error.toJSON()) + error.message).not.toMatch(/hunter2|Ym9iOmh1bnRlcjI/);
  });
});

describe("WWW-Authenticate parsing", () => {
  it("reads quoted and bare parameters", () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service=registry.example,scope="repository:a/b:pull,push"',
      ),
    ).toEqual({
      scheme: "bearer",
      params: {
        realm: "https://auth.example/token",
        service: "registry.example",
        scope: "repository:a/b:pull,push",
      },
    });
    expect(parseChallenge('Basic realm="x"')?.scheme).toBe("basic");
  });
});

describe("auth files", () => {
  it("logs in and out atomically with mode 0600, keeping other hosts", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "oci-auth-"));
    closers.push(() => fs.rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, "sub", "auth.json");
    const env = { HOME: dir };
    await storeCredentials(file, "a.example", "u1", "p1");
    await storeCredentials(file, "b.example:5000", "u2", "p:2");
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await credentialsFor("b.example:5000", { authFile: file, env }))?.basicHeader()).toBe(
      new Credentials("u2", "p:2").basicHeader(),
    );
    await removeCredentials(file, "a.example");
    expect(await credentialsFor("a.example", { authFile: file, env })).toBeUndefined();
    expect(await credentialsFor("b.example:5000", { authFile: file, env })).toBeDefined();
    await expect(removeCredentials(file, "a.example")).rejects.toMatchObject({
      code: "CREDENTIALS_NOT_FOUND",
    });
    expect((await fs.readdir(path.dirname(file))).filter((f) => f.startsWith("."))).toEqual([]);
  });

  it("falls back to the containers runtime file and to ~/.docker/config.json", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "oci-auth-"));
    closers.push(() => fs.rm(dir, { recursive: true, force: true }));
    await fs.mkdir(path.join(dir, "run", "containers"), { recursive: true });
    await fs.mkdir(path.join(dir, ".docker"));
    const auth = (u: string) => ({ auth: Buffer.from(`${u}:pw`).toString("base64") });
    await fs.writeFile(
      path.join(dir, "run", "containers", "auth.json"),
      JSON.stringify({ auths: { "quay.example": auth("runtime") } }),
    );
    await fs.writeFile(
      path.join(dir, ".docker", "config.json"),
      JSON.stringify({
        auths: { "https://index.docker.io/v1/": auth("hub"), "quay.example": auth("docker") },
      }),
    );
    const sources = {
      authFile: path.join(dir, "none.json"),
      env: { HOME: dir, XDG_RUNTIME_DIR: path.join(dir, "run") },
    };
    expect((await credentialsFor("quay.example", sources))?.username).toBe("runtime");
    expect((await credentialsFor("registry-1.docker.io", sources))?.username).toBe("hub");
  });

  it("refuses the settings' file when others can read it, before any transport opens", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "oci-auth-"));
    closers.push(() => fs.rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, "auth.json");
    await fs.writeFile(file, '{"auths":{"x":{"auth":"c2VjcmV0OnNlY3JldA=="}}}', { mode: 0o644 });
    await fs.chmod(file, 0o644);
    const error = (await checkAuthFile(file).catch((e: unknown) => e)) as Error & { code: string };
    expect(error.code).toBe("AUTH_FILE_MODE");
    expect(error.message).toBe(`${file} is readable by other users (mode 0644)`);
    await expect(credentialsFor("x", { authFile: file, env: { HOME: dir } })).rejects.toMatchObject({
      code: "AUTH_FILE_MODE",
    });
    await fs.chmod(file, 0o600);
    await expect(checkAuthFile(file)).resolves.toBeUndefined();
    expect((await credentialsFor("x", { authFile: file, env: { HOME: dir } }))?.username).toBe("secret");
    await expect(checkAuthFile(path.join(dir, "none.json"))).resolves.toBeUndefined();
  });

  it("rejects a malformed file without quoting it", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "oci-auth-"));
    closers.push(() => fs.rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, "auth.json");
    await fs.writeFile(file, '{"auths": {"x": {"auth": "c2VjcmV0"}', { mode: 0o600 });
    const error = (await credentialsFor("x", { authFile: file, env: { HOME: dir } }).catch(
      (e: unknown) => e,
    )) as Error & { code: string };
    expect(error.code).toBe("AUTH_FILE_INVALID");
    expect(error.message).not.toContain("c2VjcmV0");
  });
});

describe("plain HTTP", () => {
  it("is used for loopback and hosts listed as insecure, HTTPS for everything else", async () => {
    expect(["127.0.0.1:5000", "localhost", "[::1]:5000", "127.9.9.9"].every(isLoopbackHost)).toBe(true);
    expect(["registry.example", "10.0.0.1:5000", "localhost.example"].some(isLoopbackHost)).toBe(false);
    const secure = await new RegistryClient({ host: "registry.invalid", repository: "a/b" }).listTags().then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    expect(secure).toMatchObject({ code: "REGISTRY_UNREACHABLE" });
    expect(secure?.message).toContain("https://registry.invalid/");
    const insecure = await new RegistryClient({
      host: "registry.invalid",
      repository: "a/b",
      insecure: ["registry.invalid"],
    })
      .listTags()
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(insecure?.message).toContain("http://registry.invalid/");
  });
});
