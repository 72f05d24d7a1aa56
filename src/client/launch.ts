// Builds the `lanes` program for one invocation, loading only what it needs: the
// invoked command's module for real, every other command as a name and description
// from the manifest the build wrote (enough for `lanes --help` and "unknown command").
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { COMMAND_MODULES, type ManifestEntry, WHOLE_TREE_COMMANDS } from './command-modules.js';
import type { OutputFormat } from './output.js';
import { baseProgram, GLOBAL_VALUE_OPTIONS } from './program-base.js';

export const MANIFEST_URL = new URL('./cli-manifest.json', import.meta.url);

function readManifest(): ManifestEntry[] | undefined {
  try {
    return JSON.parse(readFileSync(MANIFEST_URL, 'utf8')) as ManifestEntry[];
  } catch {
    return undefined;
  }
}

/** The command an argv (without node and script) invokes; `help <cmd>` counts as <cmd>. */
export function invokedCommand(args: readonly string[]): string | undefined {
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if ((GLOBAL_VALUE_OPTIONS as readonly string[]).includes(a)) i++;
      continue;
    }
    words.push(a);
    if (words[0] !== 'help' || words.length === 2) break;
  }
  return words[0] === 'help' ? words[1] : words[0];
}

export async function buildProgramFor(args: readonly string[], format: OutputFormat, manifest: ManifestEntry[] | undefined = readManifest()): Promise<Command> {
  const program = baseProgram(format);
  const command = invokedCommand(args);
  const wanted = manifest?.find((e) => e.name === command)?.module;
  // Without a manifest (not built by `npm run build`) every module is loaded.
  const all = !manifest || (command !== undefined && WHOLE_TREE_COMMANDS.has(command));
  for (const [module, load] of Object.entries(COMMAND_MODULES)) {
    if (all || module === wanted) (await load())(program);
    else for (const e of manifest.filter((x) => x.module === module)) program.command(e.name).description(e.description);
  }
  return program;
}
