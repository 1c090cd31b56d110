import { API_VERSION } from "@particle/runtime";
import { describe, expect, it } from "vitest";
import type { TenantsFile } from "../src/spec.js";
import { authorizeTenant, tenantOfImage } from "../src/tenants.js";

const tenants: TenantsFile = {
  apiVersion: API_VERSION,
  kind: "Tenants",
  tenants: { acme: { quotaBytes: 1000, group: "acme-admins" } },
};

describe("tenants", () => {
  it("finds the tenant of a qualified image name", () => {
    expect(tenantOfImage(tenants, "acme/desktop")).toBe("acme");
    expect(tenantOfImage(tenants, "other/desktop")).toBeUndefined();
    expect(tenantOfImage(tenants, "desktop")).toBeUndefined();
  });

  it("lets root and group members in, and refuses others", () => {
    expect(authorizeTenant(tenants, "acme", { uid: 0, name: "root", groups: [] })).toMatchObject({
      quotaBytes: 1000,
    });
    expect(
      authorizeTenant(tenants, "acme", { uid: 1000, name: "ann", groups: ["users", "acme-admins"] }),
    ).toBeDefined();
    expect(() => authorizeTenant(tenants, "acme", { uid: 1001, name: "bob", groups: ["users"] })).toThrow(
      expect.objectContaining({ code: "TENANT_DENIED", exitCode: 10 }),
    );
    expect(() => authorizeTenant(tenants, "nobody", { uid: 0, name: "root", groups: [] })).toThrow(
      expect.objectContaining({ code: "TENANT_NOT_FOUND" }),
    );
  });
});
