#!/usr/bin/env node
import { main } from "@particle/cli-kit";
import { particleCli } from "./cli.js";

await main(particleCli);
