// Build step: bundles the workflow code once so workers start without webpack.
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { prebuiltBundlePath, workflowsEntry } from '../worker/bundle.js';

const { code } = await bundleWorkflowCode({ workflowsPath: workflowsEntry(), logger: new DefaultLogger('WARN') });
writeFileSync(prebuiltBundlePath(), code);
process.stdout.write(`workflow bundle: ${prebuiltBundlePath()} (${Math.round(code.length / 1024)} KiB)\n`);
