import { cliConfig } from "@particle/build-config/tsup";

export default cliConfig({ "particle-bootupctl": "src/main.ts" });
