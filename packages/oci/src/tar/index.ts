export {
  byteCounter,
  type Compression,
  compressor,
  type DecompressLimits,
  decompress,
  sniffCompression,
} from "./compress.js";
export {
  type EntryType,
  isOverlayWhiteout,
  normalizeEntryPath,
  OVERLAY_OPAQUE_XATTR,
  symlinkEscapes,
  type TarEntry,
} from "./entry.js";
export { type ExtractOptions, type ExtractStats, extractTar } from "./extract.js";
export { decodeName, encodeName } from "./name.js";
export { encodePaxRecords, parsePaxRecords } from "./pax.js";
export { readTar, type TarItem } from "./read.js";
export { parseGetfattrDump, readTree, type ScanOptions, scanTree, treeItems } from "./tree.js";
export { OPAQUE_MARKER, ociToOverlay, overlayToOci, WHITEOUT_PREFIX } from "./whiteout.js";
export { TarWriter } from "./write.js";
