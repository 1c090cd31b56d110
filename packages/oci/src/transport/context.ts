import type { PlatformWanted } from "../image/documents.js";
import type { RegistryLogger } from "../registry/client.js";

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
}
