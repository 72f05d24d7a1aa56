// A trivial round trip through a real worker: used by tests and `lanes doctor --deep`
// to prove a workflow can start, run an activity and return.
import { proxyActivities } from '@temporalio/workflow';
import type { createWorkerInfoActivities } from '../activities/worker-info.js';

const { describeWorker } = proxyActivities<ReturnType<typeof createWorkerInfoActivities>>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3 },
});

export async function pingWorkflow(message: string): Promise<{ echoed: string; worker: { host: string; pid: number } }> {
  const info = await describeWorker(message);
  return { echoed: info.message, worker: { host: info.host, pid: info.pid } };
}
