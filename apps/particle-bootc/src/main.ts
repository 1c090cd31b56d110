#!/usr/bin/env node
import { main } from "@particle/cli-kit";
import { bootcCli } from "./cli.js";

await main(bootcCli);
