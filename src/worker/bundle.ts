// Where the worker gets its workflow code: the bundle prebuilt by `npm run build`
// (fast worker restarts, which crash drills rely on), or webpack from source.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WorkerOptions } from '@temporalio/worker';

export function workflowsEntry(): string {
  const ts = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL('../workflows/index.js', import.meta.url));
}

export function prebuiltBundlePath(): string {
  return fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));
}

export function workflowCodeOptions(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const bundle = prebuiltBundlePath();
  if (existsSync(bundle)) return { workflowBundle: { codePath: bundle } };
  return { workflowsPath: workflowsEntry() };
}
