// Steering commands (issue 16): send a message to a lane's agent, wait for a lane,
// approve or deny a tool call waiting for a person, restart a blocked or failed lane.
import { readFileSync } from 'node:fs';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { type Command, Option } from 'commander';
import { LanesError } from '../../errors.js';
import { approvalUpdate, MAX_MESSAGE_CHARS, restartUpdate, sendUpdate } from '../../workflows/lane/api.js';
import { action, durationOption, intOption } from '../context.js';
import { handleFor, laneIdFor, requireLane, requireOpenLane } from '../lanes.js';
import { restartFailedLane } from '../restart-failed.js';
import { parseWaitTarget, WAIT_TARGETS_HELP, waitForLane, type WaitOutcome } from '../steering.js';
import { withClient } from '../temporal.js';

/** An update the lane's validator refused is the caller's conflict, in the lane's own words. */
async function update<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof WorkflowUpdateFailedError) throw new LanesError('conflict', (e.cause as Error | undefined)?.message ?? e.message, 'See `lanes status <lane>`.');
    throw e;
  }
}

function messageText(message: string | undefined, file: string | undefined): string {
  if ((message === undefined) === (file === undefined)) {
    throw new LanesError('usage', 'lanes send needs the message as an argument or --file, not both', 'e.g. `lanes send my-lane "the bug is in the parser, not the lexer"` or `lanes send my-lane --file note.md`');
  }
  let text = message;
  if (file !== undefined) {
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (e) {
      throw new LanesError('usage', `--file ${file}: ${(e as Error).message}`, 'Pass a readable text file, or - for stdin.');
    }
  }
  if (text!.trim() === '') throw new LanesError('usage', `the message${file !== undefined ? ` in ${file}` : ''} is empty`, 'Say what the agent should know.');
  if (text!.length > MAX_MESSAGE_CHARS) throw new LanesError('usage', `the message has ${text!.length} characters; at most ${MAX_MESSAGE_CHARS} are accepted`, 'Shorten it, or point the agent at a file in the repository.');
  return text!;
}

function renderWait(o: WaitOutcome): string {
  if (o.outcome === 'reached') return `lane ${o.laneId} reached ${o.for}${o.event ? ` (event #${o.event.seq}: ${o.event.detail})` : ''} after ${(o.waitedMs / 1000).toFixed(1)} s`;
  if (o.outcome === 'ended') return `lane ${o.laneId} ended (${o.state ?? o.workflowStatus}, workflow ${o.workflowStatus}) without reaching ${o.for}`;
  return `timed out after ${(o.waitedMs / 1000).toFixed(1)} s waiting for lane ${o.laneId} to reach ${o.for}; it is ${o.state ?? 'unknown'} (workflow ${o.workflowStatus})`;
}

export function registerSteeringCommands(program: Command): void {
  program
    .command('send')
    .description("Send a message to a running lane's agent: queued durably, delivered at its next turn boundary (an external agent's next pass) as a user message")
    .argument('<lane>', 'lane id')
    .argument('[message]', 'the message text (or --file)')
    .option('--file <path>', 'read the message from a file (- for stdin)')
    .action(
      action(async ({ out, config }, lane: string, message: string | undefined, opts: { file?: string }) => {
        const text = messageText(message, opts.file);
        return withClient(config, async (client) => {
          await requireOpenLane(client, lane, 'send to');
          const r = await update(() => handleFor(client, lane).executeUpdate(sendUpdate, { args: [{ text, ...(process.env.USER ? { by: process.env.USER } : {}) }] }));
          out.result({ laneId: laneIdFor(lane), ...r }, (v) => `lane ${v.laneId}: message ${v.messageId} queued for the agent's next turn (${v.queued} waiting)`);
        });
      }),
    );

  program
    .command('wait')
    .description('Wait until a lane reaches a state, an event type, or its end: exit 0 when reached, 1 when the lane ended elsewhere or the timeout passed')
    .argument('<lane>', 'lane id')
    .requiredOption('--for <target>', WAIT_TARGETS_HELP)
    .option('--timeout <duration>', 'give up after this long (30s, 5m, 2h, or ms); default: no limit', durationOption('--timeout'))
    .option('--after <seq>', 'an event target counts only events after this sequence number', intOption('--after', 0, Number.MAX_SAFE_INTEGER), 0)
    .action(
      action(async ({ out, config }, lane: string, opts: { for: string; timeout?: number; after: number }) => {
        const target = parseWaitTarget(opts.for);
        if (!target) throw new LanesError('usage', `--for ${JSON.stringify(opts.for)} names no state or event type`, `Use ${WAIT_TARGETS_HELP}.`);
        return withClient(config, async (client) => {
          await requireLane(client, lane);
          const o = await waitForLane(client, lane, target, { timeoutMs: opts.timeout, afterSeq: opts.after, label: opts.for });
          out.result(o, renderWait);
          return o.reached ? 0 : 1;
        });
      }),
    );

  const decide = (decision: 'approve' | 'deny') =>
    action(async ({ out, config }, lane: string, requestId: string, opts: { note?: string; reason?: string }) =>
      withClient(config, async (client) => {
        await requireOpenLane(client, lane, decision);
        const text = decision === 'approve' ? opts.note : opts.reason;
        const r = await update(() =>
          handleFor(client, lane).executeUpdate(approvalUpdate, { args: [{ requestId, decision, ...(text ? { text } : {}), ...(process.env.USER ? { by: process.env.USER } : {}) }] }),
        );
        out.result({ laneId: laneIdFor(lane), ...r }, (v) => `lane ${v.laneId}: ${v.requestId} ${decision === 'approve' ? 'approved: the call runs' : 'denied: the agent gets the refusal'}`);
      }),
    );

  program
    .command('approve')
    .description('Approve a tool call waiting in awaiting_approval (the request id is in `lanes status`): it runs and the lane goes on')
    .argument('<lane>', 'lane id')
    .argument('<requestId>', 'the approval request id, e.g. apr-3-1')
    .option('--note <text>', 'why (recorded in the event)')
    .action(decide('approve'));

  program
    .command('deny')
    .description('Deny a tool call waiting in awaiting_approval: the agent gets a refusal as the tool result and the lane goes on')
    .argument('<lane>', 'lane id')
    .argument('<requestId>', 'the approval request id, e.g. apr-3-1')
    .option('--reason <text>', 'why (the agent reads it; recorded in the event)')
    .action(decide('deny'));

  program
    .command('restart')
    .description('Restart a blocked or failed lane under a new run (same lane id, events kept): its branch and worktree go back to the last checkpoint commit (or the base), and a fresh agent pass starts; a finished lane is refused')
    .argument('<lane>', 'lane id')
    .addOption(new Option('--from-checkpoint', 'reset to the last checkpoint commit (default)').conflicts('fromBase'))
    .addOption(new Option('--from-base', "reset to the base: the lane's commits are dropped").conflicts('fromCheckpoint'))
    .option('--note <text>', 'why (recorded in the event)')
    .action(
      action(async ({ out, config }, lane: string, opts: { fromCheckpoint?: boolean; fromBase?: boolean; note?: string }) =>
        withClient(config, async (client) => {
          const status = await requireLane(client, lane);
          const from = opts.fromBase ? ('base' as const) : ('checkpoint' as const);
          const req = { from, ...(opts.note ? { note: opts.note } : {}), ...(process.env.USER ? { by: process.env.USER } : {}) };
          // A failed lane's workflow has closed: the client starts its next run (restart-failed.ts).
          const r =
            status === 'RUNNING'
              ? { laneId: laneIdFor(lane), ...(await update(() => handleFor(client, lane).executeUpdate(restartUpdate, { args: [req] }))) }
              : await restartFailedLane(client, config.taskQueue, lane, status, req);
          out.result(r, (v) => `lane ${v.laneId}: restarting from ${v.from}${v.resetTo ? ` (${v.resetTo.slice(0, 10)})` : ''} under a new run`);
        }),
      ),
    );
}
