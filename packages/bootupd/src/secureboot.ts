import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { isParticleError, pathExists, run } from "@particle/runtime";
import { errors } from "./errors.js";

/**
 * Secure Boot signing with sbsigntool. A user's key signs what the distribution did not (an unsigned
 * shim, systemd-boot, a GRUB image made with grub-mkimage, kernels); binaries already signed by the
 * distribution keep that signature (sbsign adds a second one when asked to sign them).
 */
export interface SigningKey {
  /** PEM private key. */
  readonly key: string;
  /** PEM certificate of the key (the one enrolled in db, or in MOK for shim). */
  readonly cert: string;
  /** For an encrypted key; passed to openssl through the environment, never the command line. */
  readonly passphrase?: string;
}

/** Runs `body` with an unencrypted copy of the key in a private temporary directory, removed after. */
async function withPlainKey<T>(signing: SigningKey, body: (key: string) => Promise<T>): Promise<T> {
  for (const file of [signing.key, signing.cert]) {
    if (!(await pathExists(file))) throw errors.signingKey(`${file} does not exist`, file);
  }
  if (signing.passphrase === undefined) return body(signing.key);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "particle-sbkey-"));
  try {
    const plain = path.join(dir, "key.pem");
    try {
      await run(
        "openssl",
        ["pkey", "-in", signing.key, "-passin", "env:PARTICLE_SB_KEY_PASS", "-out", plain],
        {
          env: { PARTICLE_SB_KEY_PASS: signing.passphrase },
        },
      );
    } catch (error) {
      if (isParticleError(error, "EXEC_FAILED"))
        throw errors.signingKey("the key cannot be decrypted (wrong passphrase?)", signing.key);
      throw error;
    }
    await fs.chmod(plain, 0o600);
    return await body(plain);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Signs a PE/COFF binary (EFI application or kernel) into `output`. */
export async function signEfiBinary(input: string, output: string, signing: SigningKey): Promise<void> {
  await withPlainKey(signing, async (key) => {
    await run("sbsign", ["--key", key, "--cert", signing.cert, "--output", output, input]);
  });
}

/** How many signatures a PE/COFF binary carries (0 = unsigned). */
export async function countSignatures(file: string): Promise<number> {
  const { stdout } = await run("sbverify", ["--list", file]);
  return stdout.split("\n").filter((line) => /^signature \d+/.test(line)).length;
}

/** Whether `file` carries a signature that verifies against `cert`. */
export async function verifyEfiBinary(file: string, cert: string): Promise<boolean> {
  try {
    await run("sbverify", ["--cert", cert, file]);
    return true;
  } catch (error) {
    if (isParticleError(error, "EXEC_FAILED")) return false;
    throw error;
  }
}

/**
 * Refuses an unsigned boot chain: every binary must carry a signature, and those the user signed
 * must verify against the user's certificate.
 */
export async function assertSignedChain(
  files: readonly { path: string; signedBy?: "user" | "distribution" }[],
  cert?: string,
): Promise<void> {
  for (const file of files) {
    if ((await countSignatures(file.path)) === 0) throw errors.unsignedChain(file.path, "has no signature");
    if (file.signedBy === "user" && cert !== undefined && !(await verifyEfiBinary(file.path, cert))) {
      throw errors.unsignedChain(file.path, `does not verify against ${cert}`);
    }
  }
}
