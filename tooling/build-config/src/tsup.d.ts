import { type Options } from "tsup";
/** A library: ESM + .d.ts, dependencies left external (consumers install them from npm). */
export declare function libraryConfig(entry?: Record<string, string>): Options[];
/**
 * A CLI: one self-contained file per binary that runs on the distribution's Node.js (Debian 12 and
 * Ubuntu 24.04 ship 18.19), with every workspace and npm dependency bundled in.
 */
export declare function cliConfig(entry: Record<string, string>): Options[];
