import { API_VERSION, mkdirDurable, readFileIfExists, writeJsonAtomic } from "@particle/runtime";
import { z } from "zod";
import { errors } from "./errors.js";
import { BootupState, type InstalledComponent } from "./spec.js";
import { type BootTarget, statePaths } from "./target.js";

export function emptyState(): BootupState {
  return { apiVersion: API_VERSION, kind: "BootupState", components: {} };
}

/** Parses a state file's text (pure); an invalid file is an integrity error, never silently reset. */
export function parseState(text: string, file: string): BootupState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw errors.stateInvalid(file, (error as Error).message);
  }
  const parsed = BootupState.safeParse(json);
  if (!parsed.success) throw errors.stateInvalid(file, z.prettifyError(parsed.error));
  return parsed.data;
}

/** The recorded state, or undefined when nothing was ever installed here. */
export async function readState(target: BootTarget): Promise<BootupState | undefined> {
  const { file } = statePaths(target);
  const text = await readFileIfExists(file);
  return text === undefined ? undefined : parseState(text, file);
}

export async function writeStateDurable(target: BootTarget, state: BootupState): Promise<void> {
  const { dir, file } = statePaths(target);
  await mkdirDurable(dir);
  await writeJsonAtomic(file, BootupState.parse(state));
}

/** The one component a target carries (a target has one bootloader). */
export function soleComponent(state: BootupState | undefined): InstalledComponent | undefined {
  const all = Object.values(state?.components ?? {});
  return all[0];
}

/** The state after installing `component`: a target carries one bootloader, so it replaces any other. */
export function withComponent(state: BootupState | undefined, component: InstalledComponent): BootupState {
  return { ...(state ?? emptyState()), components: { [component.backend]: component } };
}
