import type { PlatformWanted } from "../image/documents.js";
import type { RegistryTimeouts } from "../limits.js";
import { credentialsFor } from "../registry/auth-file.js";
import { RegistryClient, type RegistryLogger } from "../registry/client.js";

/** What a transport needs from the caller's settings. */
export interface TransportOptions {
  /** settings.registry.auth_file */
  readonly authFile?: string;
  /** settings.registry.insecure */
  readonly insecure?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: RegistryLogger;
  /** Scratch space for archives unpacked or assembled (never inside the store). */
  readonly workDir: string;
  /** Which image of a multi-platform index. @default this machine's */
  readonly platform?: PlatformWanted;
  /** Upload in chunks of this many bytes (registries). */
  readonly chunkSize?: number;
  /** Overrides of the waits on registries (defaults in limits.ts). */
  readonly timeouts?: Partial<RegistryTimeouts>;
}

/** A client for one repository, with the credentials the settings' auth files hold for its host. */
export async function registryClientFor(
  registry: { readonly host: string; readonly repository: string },
  options: Omit<TransportOptions, "workDir">,
): Promise<RegistryClient> {
  return new RegistryClient({
    host: registry.host,
    repository: registry.repository,
    credentials: await credentialsFor(registry.host, {
      authFile: options.authFile ?? "/etc/particle/auth.json",
      env: options.env,
    }),
    insecure: options.insecure,
    logger: options.logger,
    chunkSize: options.chunkSize,
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
  });
}
