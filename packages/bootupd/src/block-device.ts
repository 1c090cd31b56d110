import { promises as fs } from "node:fs";

export const BIOS_BOOT_GUID = "21686148-6449-6E6F-744E-656564454649";

export async function readAt(disk: string, offset: number, length: number): Promise<Buffer> {
  const handle = await fs.open(disk, "r");
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, offset);
    return buffer;
  } finally {
    await handle.close();
  }
}

/** Writes bytes at an offset of a disk and flushes them before returning. */
export async function writeAtDurable(disk: string, offset: number, data: Uint8Array): Promise<void> {
  const handle = await fs.open(disk, "r+");
  try {
    await handle.write(data, 0, data.length, offset);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
