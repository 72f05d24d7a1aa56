// The replay gate: every recorded history under test/histories replays cleanly
// against the current workflow code, so a non-deterministic change fails CI.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, it } from 'vitest';
import * as workflows from '../../src/workflows/index.js';
import { workflowsEntry } from '../../src/worker/bundle.js';

const dir = fileURLToPath(new URL('../histories/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const load = (f: string) => ({ workflowId: f.replace(/(\.run\d+)?\.json$/, ''), history: JSON.parse(readFileSync(dir + f, 'utf8')) });
const typeOf = (h: any): string => h.events[0].workflowExecutionStartedEventAttributes.workflowType.name;

describe('replay gate', () => {
  let bundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    bundle = await bundleWorkflowCode({ workflowsPath: workflowsEntry() });
  });

  it('has at least one recorded history of every workflow type', () => {
    const recorded = new Set(files.map((f) => typeOf(load(f).history)));
    for (const name of Object.keys(workflows)) expect(recorded, `no history of ${name} in test/histories`).toContain(name);
  });

  it.each(files)('%s replays against the current workflow code', async (file) => {
    const { workflowId, history } = load(file);
    await expect(Worker.runReplayHistory({ workflowBundle: bundle, replayName: file }, history, workflowId)).resolves.toBeUndefined();
  });

  it('rejects a non-deterministic change (the gate can fail)', async () => {
    const ping = files.find((f) => typeOf(load(f).history) === 'pingWorkflow');
    expect(ping).toBeDefined();
    const drifted = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./fixtures/drifted-workflows.ts', import.meta.url)) });
    const { workflowId, history } = load(ping!);
    await expect(Worker.runReplayHistory({ workflowBundle: drifted }, history, workflowId)).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
