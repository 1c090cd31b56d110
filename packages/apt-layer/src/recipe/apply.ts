import { promises as fs } from "node:fs";
import path from "node:path";
import { isParticleError } from "@particle/runtime";
import type { BuildEnvironment } from "../build-env/environment.js";
import { type RecipeStep, sourcesFile } from "./steps.js";

/**
 * Carries out the non-apt recipe steps inside a build environment. Every change is made by a tool
 * running in the image's build sandbox (install, useradd, systemctl), never by writing host paths that a
 * symlink in the image could redirect; inputs are staged in the environment's private /tmp.
 */

async function stage(env: BuildEnvironment, name: string, content: string): Promise<string> {
  await fs.writeFile(path.join(env.root, "tmp", name), content, { mode: 0o600 });
  return `/tmp/${name}`;
}

async function installFile(
  env: BuildEnvironment,
  target: string,
  content: string,
  mode: string,
): Promise<void> {
  const staged = await stage(env, "apt-layer-file", content);
  await env.run(["install", "-D", "-o", "root", "-g", "root", "-m", mode, "--", staged, target]);
}

async function groupExists(env: BuildEnvironment, group: string): Promise<boolean> {
  try {
    await env.run(["getent", "group", group]);
    return true;
  } catch (error) {
    if (isParticleError(error, "EXEC_FAILED")) return false;
    throw error;
  }
}

export async function applyStep(env: BuildEnvironment, step: RecipeStep): Promise<void> {
  switch (step.kind) {
    case "apt-setup":
      for (const arch of step.architectures) await env.run(["dpkg", "--add-architecture", arch]);
      if (step.debconf.length > 0)
        await env.run(["debconf-set-selections"], { input: `${step.debconf.join("\n")}\n` });
      for (const source of step.sources)
        await installFile(env, `/etc/apt/sources.list.d/${source.name}.sources`, sourcesFile(source), "0644");
      return;
    case "files":
      for (const file of step.files) await installFile(env, file.path, file.content, file.mode);
      return;
    case "users":
      for (const user of step.users) {
        for (const group of user.groups)
          if (!(await groupExists(env, group))) await env.run(["groupadd", "--", group]);
        const args = ["useradd", "--create-home", "--shell", user.shell];
        if (user.uid !== undefined) args.push("--uid", String(user.uid));
        if (user.system) args.push("--system");
        // Debian makes a group per user; a group of that name may already exist (e.g. `operator`).
        if (await groupExists(env, user.name)) args.push("--gid", user.name);
        if (user.groups.length > 0) args.push("--groups", user.groups.join(","));
        await env.run([...args, "--", user.name]);
        if (user.passwordHash) await env.run(["usermod", "--password", user.passwordHash, "--", user.name]);
      }
      return;
    case "units":
      // systemctl works offline in the sandbox: it edits the unit symlinks without a running systemd.
      if (step.units.enable.length > 0) await env.run(["systemctl", "enable", "--", ...step.units.enable]);
      if (step.units.disable.length > 0) await env.run(["systemctl", "disable", "--", ...step.units.disable]);
      if (step.units.mask.length > 0) await env.run(["systemctl", "mask", "--", ...step.units.mask]);
      return;
    case "script": {
      const script = await stage(env, "apt-layer-script", step.run);
      await env.run(["/bin/sh", "-e", script]);
      return;
    }
    case "packages":
      return;
  }
}
