import { libraryConfig } from "@particle/build-config/tsup";

export default libraryConfig();
