// The production server's mTLS really guards it: clients without a trusted client certificate
// are refused (and doctor names the handshake as the problem); a chaos schedule runs there too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { readFaultFirings } from '../../src/faults/inject.js';
import { type ProdStack, startProdStack, waitFor } from './support/prod-stack.js';

let stack: ProdStack;
beforeAll(async () => {
  stack = await startProdStack();
});
afterAll(async () => stack?.stop());

describe('mTLS on the production server', () => {
  it('refuses a client without a client certificate, one with an untrusted certificate, and plaintext', async () => {
    const pki = inject('prodPki');
    const noCert = { TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '' };
    const stranger = { TEMPORAL_TLS_CLIENT_CERT_PATH: pki.strangerCert, TEMPORAL_TLS_CLIENT_KEY_PATH: pki.strangerKey };
    for (const env of [noCert, stranger]) {
      const r = await stack.cli(['list', '--json'], { env });
      expect(r.exitCode).toBe(1);
      expect(r.json().error.message).toMatch(/cannot reach Temporal at .* \(tls\)|cannot reach Temporal at .* \(mtls\)/);
      // Must not: any lane data come back.
      expect(r.stdout).not.toMatch(/"laneId"/);
    }
    const plain = await stack.cli(['list', '--json', '--no-tls'], { env: { TEMPORAL_TLS_SERVER_CA_CERT_PATH: '', TEMPORAL_TLS_SERVER_NAME: '', ...noCert } });
    expect(plain.exitCode).toBe(1);
    expect(plain.json().error.message).toMatch(/\(plaintext\)/);

    // Doctor names the failed handshake as its own check.
    const doc = await stack.cli(['doctor', '--json'], { env: stranger });
    expect(doc.exitCode).toBe(1);
    const checks = Object.fromEntries((doc.json().checks as { name: string; status: string; summary: string }[]).map((c) => [c.name, c]));
    expect(checks.tls_handshake!.status).toBe('fail');
    expect(checks.tls_handshake!.summary).toMatch(/TLS handshake with .* failed/);
    expect(checks.server_reachable!.status).toBe('fail');
    // The trusted certificate passes the same check.
    const good = await stack.cli(['doctor', '--json']);
    expect((good.json().checks as { name: string; status: string }[]).find((c) => c.name === 'tls_handshake')!.status).toBe('ok');
  });
});

describe('chaos on the production topology', () => {
  it('a chaos schedule triggered now runs its batch on PostgreSQL with zero violations', async () => {
    const host = await stack.startHost('chaos-host', ['--allow-chaos']);
    const id = `chaos-prod-${stack.taskQueue.slice(-6)}`;
    expect((await stack.cli(['chaos', 'schedule', '--every', '24h', '--seed', '11', '--lanes', '2', '--faults', 'throw,delay', '--id', id, '--json'])).exitCode).toBe(0);
    try {
      expect((await stack.cli(['chaos', 'trigger', id, '--json'])).exitCode).toBe(0);
      const runId = await waitFor('finished chaos run', async () => {
        for await (const wf of stack.client.workflow.list({ query: `WorkflowType = 'chaosWorkflow' AND TaskQueue = '${stack.taskQueue}'` })) {
          if (wf.workflowId.startsWith(`chaos-${id}`) && wf.status.name !== 'RUNNING') return wf.workflowId;
        }
        return undefined;
      }, 180_000);
      const r = await stack.cli(['chaos', 'report', runId, '--json']);
      const report = r.json();
      expect(r.exitCode).toBe(0);
      expect(report.violations).toBe(0);
      expect(report.lanes).toHaveLength(2);
      // Each seeded fault really fired on the host that ran the lane.
      for (const lane of report.lanes) expect(readFaultFirings(host.home, lane.laneId).map((f) => f.point)).toEqual([lane.fault.point]);
      // ChaosViolations is an Int search attribute: the query runs on PostgreSQL visibility.
      const clean = [];
      for await (const wf of stack.client.workflow.list({ query: `WorkflowType = 'chaosWorkflow' AND ChaosViolations = 0 AND TaskQueue = '${stack.taskQueue}'` })) clean.push(wf.workflowId);
      expect(clean).toContain(runId);
    } finally {
      expect((await stack.cli(['chaos', 'delete', id, '--json'])).exitCode).toBe(0);
    }
  });
});
