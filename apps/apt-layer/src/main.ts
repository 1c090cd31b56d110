#!/usr/bin/env node
import { main } from "@particle/cli-kit";
import { aptLayerCli } from "./cli.js";

await main(aptLayerCli);
