import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ifExists, mkdirDurable, readFileIfExists, writeFileAtomic } from "@particle/runtime";
import { ociError } from "../errors.js";
import { AuthFile } from "../spec.js";

/**
 * Registry credentials in the containers auth.json format (containers-auth.json(5)), also read
 * from Docker's ~/.docker/config.json. The one reader of credentials in the toolkit. Secrets only
 * leave this module as a `Credentials` value; its `toString`/`toJSON` print nothing secret, so a
 * stray log line cannot leak them. The settings' own file must be private (mode 0600).
 */

export class Credentials {
  readonly #password: string;
  constructor(
    readonly username: string,
    password: string,
  ) {
    this.#password = password;
  }
  /** The value of an `Authorization: Basic` header. */
  basicHeader(): string {
    return `Basic ${Buffer.from(`${this.username}:${this.#password}`).toString("base64")}`;
  }
  toString(): string {
    return `Credentials(${this.username})`;
  }
  toJSON(): { username: string } {
    return { username: this.username };
  }
}

export interface AuthSources {
  /** settings.registry.auth_file: read first, and the file login/logout write. */
  readonly authFile: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The files credentials are read from, in order of preference. */
export function authFiles(sources: AuthSources): string[] {
  const env = sources.env ?? process.env;
  const files = [sources.authFile];
  if (env.REGISTRY_AUTH_FILE) files.unshift(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) files.push(path.join(env.XDG_RUNTIME_DIR, "containers", "auth.json"));
  files.push(path.join(env.HOME ?? os.homedir(), ".docker", "config.json"));
  return files;
}

/** Keys a registry may be stored under (bare host, URL forms, Docker Hub's legacy key). */
function keysFor(host: string): string[] {
  const keys = [host, `https://${host}`, `http://${host}`, `https://${host}/v2/`, `https://${host}/v1/`];
  if (host === "registry-1.docker.io")
    keys.push("docker.io", "https://index.docker.io/v1/", "index.docker.io");
  return keys;
}

async function readAuthFile(
  file: string,
  options: { private?: boolean } = {},
): Promise<AuthFile | undefined> {
  if (options.private) {
    const stat = await ifExists(fs.stat(file));
    if (stat === undefined) return undefined;
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o7777).toString(8).padStart(4, "0");
      throw ociError("AUTH_FILE_MODE", `${file} is readable by other users (mode ${mode})`, {
        hint: `Restrict it: chmod 600 ${file}`,
        context: { path: file },
      });
    }
  }
  const text = await readFileIfExists(file);
  if (text === undefined) return undefined;
  try {
    return AuthFile.parse(JSON.parse(text));
  } catch {
    // Never quote the content (it holds secrets), nor keep the parser's error, which may.
    throw ociError("AUTH_FILE_INVALID", `credentials file ${file} is not valid JSON with an auths object`, {
      context: { path: file },
    });
  }
}

/**
 * Checks the settings' credentials file (`registry.auth_file`) before a transport opens: a file that
 * group or others can read is refused (AUTH_FILE_MODE) rather than used, and a malformed one fails
 * (AUTH_FILE_INVALID). A missing file is fine: there are no credentials.
 */
export async function checkAuthFile(authFile: string | undefined): Promise<void> {
  if (authFile !== undefined) await readAuthFile(authFile, { private: true });
}

function decode(entry: NonNullable<AuthFile["auths"]>[string]): Credentials | undefined {
  if (entry.username !== undefined && entry.password !== undefined)
    return new Credentials(entry.username, entry.password);
  if (entry.auth) {
    const text = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = text.indexOf(":");
    if (colon > 0) return new Credentials(text.slice(0, colon), text.slice(colon + 1));
  }
  return undefined;
}

/** Credentials for a registry host, from the first file that has them. */
export async function credentialsFor(host: string, sources: AuthSources): Promise<Credentials | undefined> {
  for (const file of authFiles(sources)) {
    const auths = (await readAuthFile(file, { private: file === sources.authFile }))?.auths ?? {};
    for (const key of keysFor(host)) {
      const entry = auths[key];
      const creds = entry ? decode(entry) : undefined;
      if (creds) return creds;
    }
  }
  return undefined;
}

async function updateAuthFile(
  file: string,
  change: (auths: Record<string, NonNullable<AuthFile["auths"]>[string]>) => boolean,
): Promise<boolean> {
  const current = (await readAuthFile(file)) ?? {};
  const auths = { ...(current.auths ?? {}) };
  if (!change(auths)) return false;
  await mkdirDurable(path.dirname(file), 0o700);
  await writeFileAtomic(file, `${JSON.stringify({ ...current, auths }, null, 2)}\n`, { mode: 0o600 });
  return true;
}

/** Stores credentials for a host (mode 0600, atomic; other hosts' entries and fields are kept). */
export async function storeCredentials(
  file: string,
  host: string,
  username: string,
  password: string,
): Promise<void> {
  await updateAuthFile(file, (auths) => {
    for (const key of keysFor(host)) delete auths[key];
    auths[host] = { auth: Buffer.from(`${username}:${password}`).toString("base64") };
    return true;
  });
}

/** Removes a host's credentials; CREDENTIALS_NOT_FOUND when there were none. */
export async function removeCredentials(file: string, host: string): Promise<void> {
  const removed = await updateAuthFile(file, (auths) => {
    let found = false;
    for (const key of keysFor(host)) {
      if (key in auths) {
        delete auths[key];
        found = true;
      }
    }
    return found;
  });
  if (!removed)
    throw ociError("CREDENTIALS_NOT_FOUND", `no credentials for ${host} in ${file}`, {
      context: { host, path: file },
    });
}

/** File mode check used by tests and `login`: the file must not be readable by others. */
export async function fileMode(file: string): Promise<number> {
  return (await fs.stat(file)).mode & 0o777;
}
