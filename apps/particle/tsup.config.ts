import { cliConfig } from "@particle/build-config/tsup";

export default cliConfig({ particle: "src/main.ts" });
