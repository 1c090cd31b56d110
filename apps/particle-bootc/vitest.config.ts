import { particleVitestConfig } from "@particle/build-config/vitest";

export default particleVitestConfig();
