#!/usr/bin/env node
import { main } from "@particle/cli-kit";
import { bootupctlCli } from "./cli.js";

await main(bootupctlCli);
