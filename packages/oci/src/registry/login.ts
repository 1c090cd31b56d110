import { Credentials, removeCredentials, storeCredentials } from "./auth-file.js";
import { RegistryClient, type RegistryLogger } from "./client.js";

export interface LoginOptions {
  readonly host: string;
  readonly username: string;
  readonly password: string;
  /** The credentials file to write (settings.registry.auth_file). */
  readonly authFile: string;
  readonly insecure?: readonly string[];
  readonly logger?: RegistryLogger;
}

/** Verifies credentials against the registry, then stores them (mode 0600, atomic). */
export async function login(
  options: LoginOptions,
): Promise<{ host: string; username: string; authFile: string }> {
  const client = new RegistryClient({
    host: options.host,
    repository: "login",
    credentials: new Credentials(options.username, options.password),
    insecure: options.insecure,
    logger: options.logger,
  });
  await client.checkLogin();
  await storeCredentials(options.authFile, options.host, options.username, options.password);
  return { host: options.host, username: options.username, authFile: options.authFile };
}

/** Removes a registry's stored credentials. */
export async function logout(options: {
  host: string;
  authFile: string;
}): Promise<{ host: string; authFile: string }> {
  await removeCredentials(options.authFile, options.host);
  return { host: options.host, authFile: options.authFile };
}
