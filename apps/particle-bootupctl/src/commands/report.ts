import type { InstallReport } from "@particle/bootupd";

/** How an install/update/adopt report reads for a person (pure). */
export function renderInstallReport(report: InstallReport): string {
  const lines: string[] = [];
  for (const id of report.recovered) lines.push(`finished interrupted update ${id}`);
  const versions = Object.entries(report.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
  const what =
    report.origin === "install" ? "installed" : report.origin === "adopt" ? "adopted and updated" : "updated";
  lines.push(
    `${report.backend}: ${what}${versions ? ` (${versions})` : ""}${report.secureBoot ? ", Secure Boot" : ""}`,
  );
  lines.push(
    report.changed.length === 0 ? "  every directory was current" : `  replaced ${report.changed.join(", ")}`,
  );
  for (const code of report.bootCode)
    lines.push(`  wrote ${code.what} (sha256 ${code.sha256.slice(0, 12)}…)`);
  return lines.join("\n");
}
