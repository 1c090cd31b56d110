import { cliConfig } from "@particle/build-config/tsup";

export default cliConfig({ "apt-layer": "src/main.ts" });
