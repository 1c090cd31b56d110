import os from "node:os";
import { API_VERSION, readFileIfExists, withLock, writeJsonAtomic } from "@particle/runtime";
import { quotaExceeded, tenantDenied, tenantNotFound } from "./errors.js";
import type { ImageStore } from "./image/store.js";
import { type Tenant, TenantsFile } from "./spec.js";

/**
 * Tenants: a namespace of image names (`TENANT/NAME`), owned by a Unix group, with a byte quota on the
 * layers its images reference. Root may act on every tenant; others must be in the owning group.
 */

export interface Caller {
  readonly uid: number;
  readonly name: string;
  /** Names of the groups the caller is in. */
  readonly groups: readonly string[];
}

/** The user running this process (its group names read from the host's /etc/group, read-only). */
export async function currentCaller(): Promise<Caller> {
  const uid = process.getuid?.() ?? -1;
  const gids = new Set(process.getgroups?.() ?? []);
  const groupFile = (await readFileIfExists("/etc/group")) ?? "";
  const groups = groupFile
    .split("\n")
    .map((line) => line.split(":"))
    .filter((f) => f.length >= 3 && gids.has(Number(f[2])))
    .map((f) => f[0] as string);
  return { uid, name: process.env.SUDO_USER ?? os.userInfo().username, groups };
}

export async function loadTenants(file: string): Promise<TenantsFile> {
  const text = await readFileIfExists(file);
  if (text === undefined) return { apiVersion: API_VERSION, kind: "Tenants", tenants: {} };
  return TenantsFile.parse(JSON.parse(text));
}

/** Creates or updates a tenant. */
export async function saveTenant(file: string, name: string, tenant: Tenant): Promise<TenantsFile> {
  return withLock(`${file}.lock`, { purpose: "the tenants file", timeoutMs: 10_000 }, async () => {
    const current = await loadTenants(file);
    const next = TenantsFile.parse({ ...current, tenants: { ...current.tenants, [name]: tenant } });
    await writeJsonAtomic(file, next, { mode: 0o644 });
    return next;
  });
}

/** The tenant an image name belongs to (`acme/desktop` → acme), if that tenant exists (pure). */
export function tenantOfImage(tenants: TenantsFile, imageName: string): string | undefined {
  const slash = imageName.indexOf("/");
  if (slash === -1) return undefined;
  const candidate = imageName.slice(0, slash);
  return candidate in tenants.tenants ? candidate : undefined;
}

/** Throws unless `caller` may write images of `tenant` (pure). */
export function authorizeTenant(tenants: TenantsFile, tenant: string, caller: Caller): Tenant {
  const entry = tenants.tenants[tenant];
  if (!entry) throw tenantNotFound(tenant);
  if (caller.uid !== 0 && !caller.groups.includes(entry.group)) throw tenantDenied(tenant, entry.group);
  return entry;
}

/** The distinct layers (digest → size) that a tenant's images reference. */
async function tenantLayers(store: ImageStore, tenant: string): Promise<Map<string, number>> {
  const layers = new Map<string, number>();
  for (const image of await store.list()) {
    if (!image.name.startsWith(`${tenant}/`)) continue;
    for (const layer of image.layers) layers.set(layer.digest, layer.size);
  }
  return layers;
}

const total = (sizes: Iterable<number>) => [...sizes].reduce((a, b) => a + b, 0);

/** Bytes of distinct layers referenced by a tenant's images. */
export async function tenantUsage(store: ImageStore, tenant: string): Promise<number> {
  return total((await tenantLayers(store, tenant)).values());
}

export interface TenantUsage extends Tenant {
  readonly name: string;
  readonly usedBytes: number;
}

/** Every tenant with its group, quota and current usage (`apt-layer tenant list`). */
export async function listTenants(store: ImageStore, file: string): Promise<TenantUsage[]> {
  const tenants = await loadTenants(file);
  const rows: TenantUsage[] = [];
  for (const [name, tenant] of Object.entries(tenants.tenants))
    rows.push({ name, ...tenant, usedBytes: await tenantUsage(store, name) });
  return rows;
}

/** Throws QUOTA_EXCEEDED when adding `addBytes` would take the tenant over its quota. */
export async function checkTenantQuota(
  store: ImageStore,
  tenant: string,
  entry: Tenant,
  newLayers: readonly { digest: string; size: number }[],
): Promise<void> {
  const known = await tenantLayers(store, tenant);
  const used = total(known.values());
  const add = total(newLayers.filter((l) => !known.has(l.digest)).map((l) => l.size));
  if (used + add > entry.quotaBytes) throw quotaExceeded(tenant, used, add, entry.quotaBytes);
}
