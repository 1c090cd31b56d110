import { defineCommand, formatBytes } from "@particle/cli-kit";
import { ExitCode } from "@particle/runtime";
import { openStore, storeOptionHelp, storeOptions } from "../open.js";

export const verifyCommand = defineCommand({
  path: ["verify"],
  summary: "Re-hash every blob and check every image; exit 6 if anything is corrupt or missing",
  options: storeOptions,
  optionHelp: storeOptionHelp,
  async run(ctx, parsed) {
    const store = await openStore(ctx, parsed);
    const progress = ctx.progress({ label: "verifying", unit: "items" });
    const report = await store.verify((done, total) => progress.update(done, `of ${total} blobs`));
    progress.done();
    ctx.out.result("VerifyReport", report, (r) =>
      [
        `${r.blobs.checked} blobs (${formatBytes(r.blobs.bytes)}) re-hashed, ${r.blobs.corrupt.length} corrupt, ${r.blobs.unreferenced} unreferenced`,
        ...r.blobs.corrupt.map((d) => `corrupt: ${d}`),
        ...r.affected.map(
          (i) =>
            `affected: ${i.ref} (${i.problems.map((p) => `${p.role} ${p.digest} ${p.state}`).join(", ")})`,
        ),
        ...(r.pendingTransactions > 0
          ? [`${r.pendingTransactions} interrupted operation(s) will be recovered by the next write`]
          : []),
        r.ok ? "store OK" : "store has problems: restore the affected images from a backup or rebuild them",
      ].join("\n"),
    );
    return report.ok ? 0 : ExitCode.integrity;
  },
});
