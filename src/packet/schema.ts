// The task packet contract (DESIGN.md §3). Every object is strict so a typo is refused with
// its path instead of being silently ignored; defaults are applied here so downstream code
// reads one fully-populated shape. Imports only zod: workflows may import this file directly.
import { z } from 'zod';
import { gitRefNameProblem } from './git-ref-name.js';
import { redactUrls, remoteUrlProblem } from '../shared/repo-url.js';
import { AgentSchema } from './agent-schema.js';
import { nonEmpty, positiveInt } from './zod-parts.js';

import { GreenLevelSchema } from './green-levels.js';

export { GREEN_LEVELS, GreenLevelSchema, type GreenLevel } from './green-levels.js';
export {
  AGENT_KINDS,
  AgentKindSchema,
  type AgentKind,
  type AgentSettings,
  APPROVAL_DECISIONS,
  PermissionModeSchema,
  type PermissionMode,
  ProviderNameSchema,
  type ProviderName,
  ScriptedTurnSchema,
  type ScriptedTurn,
} from './agent-schema.js';

export const MergeModeSchema = z.enum(['merge', 'squash', 'ff_only', 'none']);
/** Whether a merge candidate identical to the tested worktree tree runs its tests again (land.ts). */
export const RetestCandidateSchema = z.enum(['when-changed', 'always']);
export type MergeMode = z.infer<typeof MergeModeSchema>;

export const StalenessPolicySchema = z.enum(['merge_forward', 'rebase', 'fail', 'ignore']);
export type StalenessPolicy = z.infer<typeof StalenessPolicySchema>;

/**
 * A packet id names the lane, its worktree folder and its default branch `lanes/<id>`, so it
 * follows `git check-ref-format` too: no "..", no trailing "." or ".lock", and not ".candidate"
 * at the end (that suffix names a lane's merge candidate worktree).
 */
export const PACKET_ID_PATTERN = /^(?!.*\.\.)(?!.*\.lock$)(?!.*\.candidate$)[A-Za-z0-9][A-Za-z0-9._-]{0,63}(?<!\.)$/;
export const MCP_SERVER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const COMMAND_NAME_MAX = 60;

// Custom issues carry `params.allowed` so formatPacketIssues can say what would be accepted.
export const gitRefName = (example = 'lanes/fix-login') =>
  z
    .string()
    .min(1)
    .superRefine((name, ctx) => {
      const problem = gitRefNameProblem(name);
      if (problem) {
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(name)} is not a valid git branch name: it ${problem}`,
          params: { allowed: `a name \`git check-ref-format --branch\` accepts, e.g. "${example}"` },
        });
      }
    });

/** Why `id` cannot name a lane, or undefined when it can. */
export function packetIdProblem(id: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id)) return 'must start with a letter or digit and hold at most 64 letters, digits, ".", "_" or "-"';
  if (id.endsWith('.candidate')) return 'ends with ".candidate", which names a lane\'s merge candidate';
  const problem = gitRefNameProblem(`lanes/${id}`);
  return problem ? `cannot name the git branch lanes/${id}: it ${problem}` : undefined;
}

const packetId = () =>
  z
    .string()
    .superRefine((id, ctx) => {
      const problem = packetIdProblem(id);
      if (problem) {
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(id)} ${problem}`,
          params: { allowed: 'letters, digits, ".", "_" and "-" (1-64, no "..", not ending in ".", ".lock" or ".candidate"), e.g. "fix-login-2"' },
        });
      }
    })
    // The JSON Schema carries the same rule as one pattern.
    .meta({ pattern: PACKET_ID_PATTERN.source });

function defaultCommandName(run: string): string {
  return run.length <= COMMAND_NAME_MAX ? run : `${run.slice(0, COMMAND_NAME_MAX - 1)}…`;
}

/** A shell command, written either as a plain string or as `{ run, name?, timeoutMs? }`. */
export const AcceptanceCommandSchema = z
  .union([
    nonEmpty().describe('Shell command run in the lane worktree.'),
    z
      .object({
        run: nonEmpty().describe('Shell command run in the lane worktree.'),
        name: nonEmpty().optional().describe('Label in reports; defaults to the command truncated to 60 characters.'),
        timeoutMs: positiveInt().optional().describe('Per-command timeout in milliseconds; defaults to acceptance.timeoutMs.'),
      })
      .strict(),
  ])
  .transform((cmd) => {
    if (typeof cmd === 'string') return { run: cmd, name: defaultCommandName(cmd) };
    const normalized: { run: string; name: string; timeoutMs?: number } = { run: cmd.run, name: cmd.name ?? defaultCommandName(cmd.run) };
    if (cmd.timeoutMs !== undefined) normalized.timeoutMs = cmd.timeoutMs;
    return normalized;
  })
  // An id makes the JSON Schema define it once under $defs instead of once per green level.
  .meta({ id: 'AcceptanceCommand', description: 'A shell command: a string, or { run, name?, timeoutMs? }.' });
export type AcceptanceCommand = z.output<typeof AcceptanceCommandSchema>;

const commandList = () => z.array(AcceptanceCommandSchema).default([]);

const ScopeSchema = z
  .object({
    kind: z.enum(['workspace', 'module', 'single_file', 'custom']).default('workspace'),
    paths: z.array(nonEmpty()).default([]).describe('Paths (relative to the repo root) the work is about.'),
    writeManifest: z
      .array(nonEmpty())
      .default(['**'])
      .describe('Globs (relative to the repo root) the agent may write; writes elsewhere are refused.'),
  })
  .strict();

const RepoSchema = z
  .object({
    path: nonEmpty().optional().describe('Local repository path.'),
    url: nonEmpty()
      .superRefine((url, ctx) => {
        const problem = remoteUrlProblem(url);
        if (problem) {
          ctx.addIssue({
            code: 'custom',
            // Never the URL as given: it may carry a password.
            message: `${JSON.stringify(redactUrls(url))} ${problem}`,
            params: { allowed: 'a clone URL without credentials: https://host/path, ssh://[user@]host/path, user@host:path, git://host/path or file:///path (credentials come from the host git config)' },
          });
        }
      })
      .optional()
      .describe('Remote clone URL (https, ssh, git or file), without credentials; each host keeps a mirror of it (docs/production.md).'),
    baseBranch: gitRefName().default('main').describe('Branch the lane starts from.'),
  })
  .strict()
  .superRefine((repo, ctx) => {
    const given = Number(repo.path !== undefined) + Number(repo.url !== undefined);
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: given === 0 ? 'neither path nor url is set' : 'both path and url are set',
        params: { allowed: 'exactly one of repo.path (local repository) or repo.url (clone URL)' },
      });
    }
  });

const BranchSchema = z
  .object({
    name: gitRefName().optional().describe('Lane branch; defaults to lanes/<id>.'),
    staleness: StalenessPolicySchema.default('merge_forward').describe('What to do when the base branch moves ahead.'),
  })
  .strict();

const AcceptanceSchema = z
  .object({
    targeted: commandList(),
    package: commandList(),
    workspace: commandList(),
    mergeReady: commandList(),
    requiredLevel: GreenLevelSchema.default('merge_ready').describe('Green level a merge requires.'),
    timeoutMs: positiveInt().default(600_000).describe('Default per-command timeout in milliseconds.'),
  })
  .strict()
  .superRefine((acc, ctx) => {
    const count = acc.targeted.length + acc.package.length + acc.workspace.length + acc.mergeReady.length;
    if (acc.requiredLevel !== 'none' && count === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['requiredLevel'],
        message: `requires green level "${acc.requiredLevel}" but no acceptance command is defined`,
        params: { allowed: "at least one command in acceptance.targeted/package/workspace/mergeReady, or requiredLevel 'none'" },
      });
    }
  });

const CommitSchema = z
  .object({
    policy: z.enum(['on_green', 'per_turn', 'single']).default('on_green'),
    message: nonEmpty().optional().describe('Commit message; defaults to one derived from the objective.'),
    author: z
      .object({ name: nonEmpty(), email: nonEmpty() })
      .strict()
      .default({ name: 'Lanes', email: 'lanes@localhost' }),
  })
  .strict();

const MergeSchema = z
  .object({
    target: gitRefName().optional().describe('Branch to merge into; defaults to repo.baseBranch.'),
    mode: MergeModeSchema.default('merge'),
    requireReview: z.boolean().default(false).describe('Wait for an approve signal before merging.'),
    retestCandidate: RetestCandidateSchema.default('when-changed').describe(
      'when-changed: a candidate whose tree is exactly the one the top worktree level ran green on (target unmoved, clean checkout, same commands) lands without running them again; always: the candidate is always tested.',
    ),
  })
  .strict();

// Entries are only checked to be objects here: the MCP module validates each one on its own
// so a single bad server degrades the lane instead of refusing the whole packet.
const McpSchema = z
  .object({
    servers: z
      .record(z.string().regex(MCP_SERVER_NAME_PATTERN), z.record(z.string(), z.unknown()))
      .default({})
      .describe('MCP servers by name: stdio { command, args?, env? } or { url }; see the MCP reference.'),
  })
  .strict();

const BudgetSchema = z
  .object({
    tokens: positiveInt().optional(),
    costUsd: z.number().positive().optional(),
    wallTimeMs: positiveInt().optional(),
    mode: z.enum(['block', 'warn']).default('block').describe("'block' blocks the lane at the limit (checked after each model turn), 'warn' only reports."),
  })
  .strict();

const ReportSchema = z
  .object({
    webhook: z.url({ protocol: /^https?$/ }).optional().describe('http(s) URL that receives lane reports.'),
    level: z.enum(['summary', 'events']).default('summary'),
  })
  .strict();

const EscalationSchema = z
  .object({
    recoveryAttempts: z.number().int().min(0).max(5).default(1),
    timeoutMs: positiveInt().default(86_400_000).describe('How long an escalated lane waits for an operator.'),
    onTimeout: z.enum(['fail']).default('fail'),
  })
  .strict();

// Paths a lane command may also see: absolute or ~/…, no "..". Checked again on the worker.
const sandboxPath = () =>
  z
    .string()
    .min(1)
    .max(4096)
    // eslint-disable-next-line no-control-regex -- control characters are exactly what a path must not hold
    .refine((p) => (p.startsWith('/') || p === '~' || p.startsWith('~/')) && !p.split('/').includes('..') && !/[\u0000-\u001f]/.test(p), {
      message: 'not an absolute path',
      params: { allowed: 'an absolute path or ~/…, without ".." or control characters' },
    });

export const SandboxNetworkSchema = z.enum(['none', 'loopback', 'host']);

const SandboxSchema = z
  .object({
    network: SandboxNetworkSchema.default('none').describe(
      "'none': no network at all; 'loopback': a private loopback (local test servers work, nothing outside is reachable); 'host': the worker's network, only where the worker's config allows it.",
    ),
    readOnly: z.array(sandboxPath()).max(64).default([]).describe('Extra paths lane commands see read-only (everything is read-only by default; this re-exposes hidden ones).'),
    writable: z.array(sandboxPath()).max(64).default([]).describe('Extra paths lane commands may write besides the worktree and a scratch TMPDIR.'),
    hide: z.array(sandboxPath()).max(64).default([]).describe('Extra paths hidden from lane commands (besides $LANES_HOME and ~/.ssh, ~/.aws, ~/.config/gcloud, ~/.lanes).'),
  })
  .strict();

export const ScreenActionSchema = z.enum(['refuse', 'block', 'allow']);
export type ScreenAction = z.infer<typeof ScreenActionSchema>;

export const ScreenSchema = z
  .object({
    symlinkOutside: ScreenActionSchema.default('refuse').describe('A symlink whose target leaves the repository.'),
    largeFile: ScreenActionSchema.default('refuse').describe('A file larger than maxFileBytes.'),
    maxFileBytes: positiveInt().default(5_000_000),
    executable: ScreenActionSchema.default('block').describe('A file that gains the executable bit.'),
    submodule: ScreenActionSchema.default('refuse').describe('A submodule (gitlink) or a .gitmodules change.'),
    gitConfig: ScreenActionSchema.default('block').describe('A change to a .git* file other than .gitignore/.gitkeep (e.g. .gitattributes).'),
  })
  .strict()
  .describe("Landing screen: 'refuse' stops the lane (class manifest), 'block' waits for an operator's approve, 'allow' lets it land.");
export type ScreenSettings = z.output<typeof ScreenSchema>;

export const TaskPacketSchema = z
  .object({
    id: packetId().optional().describe('Idempotency key: resubmitting the same id attaches to the same lane.'),
    objective: nonEmpty().describe('What the agent must achieve.'),
    scope: ScopeSchema.prefault({}),
    repo: RepoSchema,
    branch: BranchSchema.prefault({}),
    acceptance: AcceptanceSchema,
    commit: CommitSchema.prefault({}),
    merge: MergeSchema.prefault({}),
    agent: AgentSchema,
    mcp: McpSchema.prefault({}),
    budget: BudgetSchema.prefault({}),
    report: ReportSchema.prefault({}),
    escalation: EscalationSchema.prefault({}),
    sandbox: SandboxSchema.prefault({}),
    secrets: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/))
      .max(64)
      .default([])
      .describe("Worker environment variables lane commands receive; their values are redacted as [REDACTED:<name>] wherever Lanes records text."),
    screen: ScreenSchema.prefault({}),
  })
  .strict()
  // Resolved here so every consumer sees the real merge target, never "undefined means base".
  .transform((packet) => ({ ...packet, merge: { ...packet.merge, target: packet.merge.target ?? packet.repo.baseBranch } }));

/** A validated packet with every default applied. */
export type TaskPacket = z.output<typeof TaskPacketSchema>;
/** What a packet author may write (defaults optional). */
export type TaskPacketInput = z.input<typeof TaskPacketSchema>;
