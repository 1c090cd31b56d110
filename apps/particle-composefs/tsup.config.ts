import { cliConfig } from "@particle/build-config/tsup";

export default cliConfig({ "particle-composefs": "src/main.ts" });
