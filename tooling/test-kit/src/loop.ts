import path from "node:path";
import { run } from "@particle/runtime";

interface LoopInfo {
  readonly name: string;
  readonly "back-file": string | null;
}

/** Loop devices whose backing file lies below `dir`. */
export async function loopDevicesUnder(dir: string): Promise<string[]> {
  const { stdout } = await run("losetup", ["--list", "--json", "--output", "NAME,BACK-FILE"]);
  if (!stdout.trim()) return [];
  const devices = (JSON.parse(stdout) as { loopdevices: LoopInfo[] }).loopdevices;
  const root = `${path.resolve(dir)}/`;
  return devices
    .filter(
      (d) => d["back-file"] !== null && `${d["back-file"].replace(/ \(deleted\)$/, "")}`.startsWith(root),
    )
    .map((d) => d.name);
}

export async function detachLoopDevicesUnder(dir: string): Promise<void> {
  for (const device of await loopDevicesUnder(dir)) await run("losetup", ["--detach", device]);
}
