import { promises as fs } from "node:fs";
import { fromSystemError, isParticleError } from "@particle/runtime";
import { BootcErrors } from "./errors.js";
import { AuthFile } from "./spec.js";

export const DEFAULT_AUTH_FILE = "/etc/particle/auth.json";

/**
 * Reads registry credentials (containers auth.json format). The file must not be readable by group or
 * others: a looser mode is refused rather than used. Returns undefined when there is no file. The
 * content never reaches logs or error messages.
 */
export async function loadAuth(file = DEFAULT_AUTH_FILE): Promise<AuthFile | undefined> {
  let text: string;
  try {
    const st = await fs.stat(file);
    if ((st.mode & 0o077) !== 0) throw BootcErrors.authMode(file, st.mode & 0o7777);
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    if (isParticleError(error)) throw error;
    throw fromSystemError(error, `reading ${file}`, file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw BootcErrors.authInvalid(file, "not JSON");
  }
  const parsed = AuthFile.safeParse(json);
  if (!parsed.success) throw BootcErrors.authInvalid(file, 'expected an object with "auths"');
  return parsed.data;
}

/** The credentials for a registry host, as user and password, if the file has them. */
export function credentialsFor(
  auth: AuthFile | undefined,
  registry: string,
): { username: string; password: string } | undefined {
  const entry = auth?.auths[registry] ?? auth?.auths[`https://${registry}`];
  if (entry === undefined) return undefined;
  if (entry.username !== undefined && entry.password !== undefined)
    return { username: entry.username, password: entry.password };
  if (entry.auth === undefined) return undefined;
  const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon === -1 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
