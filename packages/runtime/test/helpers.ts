import path from "node:path";
import { execa, type ResultPromise } from "execa";

/** Runs a TypeScript snippet in a separate Node process (to test crashes and competing processes). */
export function runSnippet(code: string, env: Record<string, string> = {}): ResultPromise {
  const src = path.resolve(__dirname, "../src/index.ts");
  const script = `import * as runtime from ${JSON.stringify(src)};\n${code}`;
  return execa("node", ["--import", "tsx", "--input-type=module", "-e", script], { env, reject: false });
}
