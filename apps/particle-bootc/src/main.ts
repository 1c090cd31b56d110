#!/usr/bin/env node
import { reexecWithPrivateMounts } from "@particle/bootc";
import { main } from "@particle/cli-kit";
import { bootcCli } from "./cli.js";

// Image mounts stay private to this process, except for `usroverlay`, whose mount is the point.
const code = process.argv[2] === "usroverlay" ? undefined : reexecWithPrivateMounts();
if (code === undefined) await main(bootcCli);
else process.exitCode = code;
