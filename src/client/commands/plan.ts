// `lanes plan validate|schema`: check a run plan without starting anything.
import type { Command } from 'commander';
import { planJsonSchema } from '../../packet/json-schema.js';
import { loadPlanFile } from '../../packet/plan-parse.js';
import { planBatches } from '../../workflows/run/scheduler.js';
import { action } from '../context.js';

export function registerPlanCommands(program: Command): void {
  const plan = program.command('plan').description('Run plan tools: validate a plan, print its JSON Schema');
  plan
    .command('validate')
    .description('Validate a plan file and every task packet in it, check dependencies (unknown ids, cycles), and show the batches it would run in')
    .argument('<file>', 'plan file (.json, .yaml or .yml)')
    .action(
      action(async ({ out }, file: string) => {
        const p = await loadPlanFile(file);
        const batches = planBatches(p.tasks, p.maxParallel);
        out.result(
          { valid: true, id: p.id, repo: p.repoPath, target: p.target, integrationBranch: p.integrationBranch, maxParallel: p.maxParallel, tasks: p.tasks.map((t) => ({ id: t.id, fingerprint: t.fingerprint, dependsOn: t.dependsOn, locks: t.locks })), batches },
          (v) => [`${file}: valid plan ${v.id}: ${v.tasks.length} task(s) on ${v.repo}, ${v.integrationBranch} -> ${v.target}`, ...batches.map((b, i) => `  batch ${i + 1}: ${b.join(', ')}`)].join('\n'),
        );
      }),
    );
  plan
    .command('schema')
    .description('Print the JSON Schema of the run plan')
    .action(
      action(async ({ out }) => {
        out.result(planJsonSchema(), (s) => JSON.stringify(s, null, 2));
      }),
    );
}
