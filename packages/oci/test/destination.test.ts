import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDestination, parseTransportRef } from "../src/index.js";

describe("export destinations", () => {
  const options = { workDir: path.join(os.tmpdir(), "oci-destination-test") };

  it.each(["oci-archive:/dev/full", "oci-archive:/dev/null", "oci:/dev/full", "oci:/etc/hostname"])(
    "refuses %s, which is not what an export writes",
    async (ref) => {
      await expect(openDestination(parseTransportRef(ref), options)).rejects.toMatchObject({
        code: "DESTINATION_INVALID",
      });
    },
  );
});
