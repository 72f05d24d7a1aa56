// `lanes status` of a closed lane from describe alone (issue 12, CLI latency): as a lane ends,
// its last run records its final `status` answer in the memo, and the CLI answers a closed lane
// from that memo with no query (a query on a closed lane makes a worker replay the whole
// history, and fails without a worker). The answer is byte-identical to the query's, over the
// HTTP API and over gRPC. Real dev server, real `lanes worker`, real CLI child processes.
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { renderStatus, statusDocument } from '../../src/client/commands/lane.js';
import type { LaneStatusView } from '../../src/client/lane-reader.js';
import { FINAL_STATUS_MEMO, LANE_QUERIES } from '../../src/workflows/lane/names.js';
import { LANES_BIN } from '../support/cli.js';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';

const FIX = [
  { text: 'Adding multiply.', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: 'export function add(a, b) {\n  return a + b;\n}\n\nexport function multiply(a, b) {\n  return a * b;\n}\n' } }] },
  { text: 'Done.' },
];

let stack: LaneStack;

beforeAll(async () => {
  stack = await startLaneStack();
  stack.mock.script('memo-fix', FIX);
});

afterAll(async () => {
  await stack?.stop();
});

const HTTP = () => ({ TEMPORAL_HTTP_ADDRESS: inject('temporalHttpAddress'), LANES_DEBUG: '1' });
const GRPC = { TEMPORAL_HTTP_ADDRESS: 'none', LANES_DEBUG: '1' };
const PATHS = [['HTTP', HTTP], ['gRPC', () => GRPC]] as const;
const overHttp = /^lanes: debug: read lane \S+ over the HTTP API at /m;

async function lanes(args: string[], env: NodeJS.ProcessEnv) {
  const r = await execa(process.execPath, [LANES_BIN, ...args], { env: { ...process.env, ...stack.env, ...env }, reject: false, timeout: 60_000 });
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** What `lanes status` prints (JSON and text) for the `status` query's own answer, asked through the SDK. */
async function printedFromQuery(lane: string): Promise<{ json: string; text: string }> {
  const handle = stack.client.workflow.getHandle(`lane-${lane}`);
  const [d, answer] = await Promise.all([handle.describe(), handle.query<Omit<LaneStatusView, 'workflowStatus'>>(LANE_QUERIES.status)]);
  const doc = statusDocument({ workflowStatus: d.status.name, ...answer });
  return { json: JSON.stringify(doc), text: renderStatus(doc) };
}

describe('lanes status of a closed lane from its memo', () => {
  it('finished and cancelled lanes: the memo holds the final answer; status prints exactly the query\'s answer on both paths, and still does with no worker (no query sent); a running lane gets the live query', async () => {
    const repo = await stack.fixture('memo-done');
    const done = await stack.cli(['submit', stack.writePacket('memo-done', mockPacket('memo-done', repo.path, 'memo-fix')), '--wait', '--json'], { timeoutMs: 120_000 });
    expect(done.exitCode, done.stdout + done.stderr).toBe(0);
    // Outside the trusted roots: the lane waits for `lanes trust`, RUNNING.
    const untrusted = await stack.fixture('memo-running', { trusted: false });
    const waiting = await stack.cli(['submit', stack.writePacket('memo-running', mockPacket('memo-running', untrusted.path, 'unused')), '--json']);
    expect(waiting.exitCode, waiting.stdout + waiting.stderr).toBe(0);
    for (let i = 0; i < 100 && !(await lanes(['status', 'memo-running', '--json'], GRPC)).stdout.includes('"phase":"trust_required"'); i++) await new Promise((r) => setTimeout(r, 200));

    // A running lane: no final answer in its memo, and status is the live query's answer.
    const runningDesc = await stack.client.workflow.getHandle('lane-memo-running').describe();
    expect(runningDesc.memo?.[FINAL_STATUS_MEMO]).toBeUndefined();
    const live = await printedFromQuery('memo-running');
    for (const [, env] of PATHS) {
      const r = await lanes(['status', 'memo-running', '--json'], env());
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toBe(live.json);
      expect(JSON.parse(r.stdout)).toMatchObject({ workflowStatus: 'RUNNING', phase: 'trust_required' });
    }

    // A second lane ends by cancellation (closeLane's failure end).
    const cancel = await stack.cli(['cancel', 'memo-running', '--json']);
    expect(cancel.exitCode, cancel.stdout + cancel.stderr).toBe(0);
    await expect(stack.client.workflow.getHandle('lane-memo-running').result()).rejects.toThrow();

    const expected: Record<string, { json: string; text: string }> = {};
    for (const lane of ['memo-done', 'memo-running']) {
      const d = await stack.client.workflow.getHandle(`lane-${lane}`).describe();
      const memo = d.memo?.[FINAL_STATUS_MEMO] as { runId: string; summary: unknown; state: unknown } | undefined;
      expect(memo?.runId).toBe(d.runId);
      const answer = await stack.client.workflow.getHandle(`lane-${lane}`).query(LANE_QUERIES.status);
      // The memo is exactly the query's answer, key order included.
      expect(JSON.stringify({ summary: memo?.summary, state: memo?.state })).toBe(JSON.stringify(answer));
      // Small: the summary and the state with its report.
      expect(JSON.stringify(memo).length).toBeLessThan(16_000);
      expected[lane] = await printedFromQuery(lane);
    }
    expect(JSON.parse(expected['memo-done']!.json)).toMatchObject({ workflowStatus: 'COMPLETED', phase: 'finished' });
    expect(JSON.parse(expected['memo-running']!.json)).toMatchObject({ workflowStatus: 'CANCELLED', phase: 'failed' });

    const check = async () => {
      for (const lane of ['memo-done', 'memo-running']) {
        for (const [name, env] of PATHS) {
          const json = await lanes(['status', lane, '--json'], env());
          const text = await lanes(['status', lane], env());
          expect(json.exitCode, `${name} ${json.stderr}`).toBe(0);
          expect(text.exitCode, `${name} ${text.stderr}`).toBe(0);
          expect(json.stdout).toBe(expected[lane]!.json);
          expect(text.stdout).toBe(expected[lane]!.text);
          if (name === 'HTTP') expect(json.stderr).toMatch(overHttp);
        }
      }
    };
    await check();
    // Must NOT: a query for a closed lane with the memo. With no worker, a query could not be
    // answered (the server waits for a worker until its query times out), yet status still is.
    await stack.stopWorker();
    try {
      await check();
    } finally {
      await stack.startWorker();
    }
  });
});
