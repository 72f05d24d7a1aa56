import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerInfoActivities } from '../../src/activities/worker-info.js';
import { workflowsEntry } from '../../src/worker/bundle.js';
import { pingWorkflow } from '../../src/workflows/ping.js';
import { recordHistories } from '../support/lane-stack.js';
import { connectTestTemporal, type TestTemporal, uniqueTaskQueue } from '../support/temporal.js';

describe('pingWorkflow', () => {
  let t: TestTemporal;
  beforeAll(async () => {
    t = await connectTestTemporal();
  });
  afterAll(async () => t?.close());

  it('runs through the real dev server and a real worker and returns the activity result', async () => {
    const taskQueue = uniqueTaskQueue('ping');
    const worker = await Worker.create({
      connection: t.nativeConnection,
      namespace: t.namespace,
      taskQueue,
      workflowsPath: workflowsEntry(),
      activities: createWorkerInfoActivities(),
      shutdownForceTime: '10s',
    });
    const result = await worker.runUntil(
      t.client.workflow.execute(pingWorkflow, { taskQueue, workflowId: `ping-${taskQueue}`, args: ['hello'] }),
    );
    expect(result.echoed).toBe('hello');
    expect(result.worker.pid).toBe(process.pid);
    // Must not: the activity was scheduled more than once (no retry, no duplicate work).
    const history = await t.client.workflow.getHandle(`ping-${taskQueue}`).fetchHistory();
    const scheduled = history.events?.filter((e) => e.activityTaskScheduledEventAttributes) ?? [];
    expect(scheduled).toHaveLength(1);
    await recordHistories(t.client, taskQueue);
  });
});
