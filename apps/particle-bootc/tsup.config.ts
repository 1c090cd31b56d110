import { cliConfig } from "@particle/build-config/tsup";

export default cliConfig({ "particle-bootc": "src/main.ts" });
