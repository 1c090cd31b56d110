/** Node's names for CPU architectures in the GOARCH words that OCI configs and indexes use. */
const OCI_ARCHITECTURE: Readonly<Record<string, string>> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
};

/** This machine's architecture (or `arch`, a `process.arch` value) as OCI names it. */
export function ociArchitecture(arch: string = process.arch): string {
  return OCI_ARCHITECTURE[arch] ?? arch;
}
