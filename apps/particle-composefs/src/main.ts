#!/usr/bin/env node
import { main } from "@particle/cli-kit";
import { composefsCli } from "./cli.js";

await main(composefsCli);
