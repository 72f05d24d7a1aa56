// Turning a plan file into a resolved plan: every task packet loaded (inline or from its
// file), the plan defaults applied under it, validated as a packet, checked to work on the
// plan's repository, and the dependency graph checked. Refused whole, before anything starts,
// with one line per problem naming the field path.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LanesError } from '../errors.js';
import { packetFingerprint } from './fingerprint.js';
import { decodeDocument, formatPacketIssues } from './parse.js';
import { planGraphProblems } from './plan-graph.js';
import { defaultIntegrationBranch, type RunBudget, RunPlanSchema } from './plan-schema.js';
import { type AcceptanceCommand, type TaskPacket, TaskPacketSchema } from './schema.js';

export interface ResolvedTask {
  id: string;
  /** Validated packet, defaults applied; no id; repo.path absolute. The run sets id, branches and target. */
  packet: TaskPacket;
  /** Content identity of the task's packet (sha256, defaults applied): what resume reuses by. */
  fingerprint: string;
  dependsOn: string[];
  locks: { reads: string[]; writes: string[] };
}

export interface ResolvedPlan {
  id: string;
  repoPath: string;
  target: string;
  integrationBranch: string;
  maxParallel: number;
  doctor: { commands: AcceptanceCommand[]; timeoutMs: number };
  budget: RunBudget;
  tasks: ResolvedTask[];
}

/** A hostile task packet can carry thousands of problems; the first ones say enough. */
const MAX_PROBLEMS_PER_TASK = 50;

const FIX_HINT = 'Fix each listed field; the plan contract is schemas/run-plan.schema.json (see docs/runs.md).';

export async function loadPlanFile(path: string): Promise<ResolvedPlan> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LanesError('validation', `${path}: plan file does not exist`, 'Check the path (see examples/plan.yaml).');
    throw new LanesError('validation', `${path}: cannot read plan file: ${(err as Error).message}`, 'Pass the path of a .json or .yaml plan file.', undefined, { cause: err });
  }
  if (text.trim() === '') throw new LanesError('validation', `${path}: the plan is empty; allowed: an object with id, repo, doctor and tasks`, 'See examples/plan.yaml.');
  return resolvePlan(decodeDocument(text, path), { source: path, baseDir: dirname(path) });
}

/** Validates a decoded plan value and resolves its tasks; throws LanesError('validation') listing every problem. */
export async function resolvePlan(raw: unknown, opts: { source: string; baseDir: string }): Promise<ResolvedPlan> {
  const { source, baseDir } = opts;
  const parsed = RunPlanSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new LanesError('validation', formatPacketIssues(parsed.error.issues, source, RunPlanSchema).join('\n'), FIX_HINT);
  const plan = parsed.data;
  const repoPath = absolute(plan.repo.path, baseDir);
  const problems: string[] = planGraphProblems(plan.tasks).map((p) => `${source}: ${p.path}: ${p.what}; allowed: ${p.allowed}`);
  const tasks: ResolvedTask[] = [];

  for (const [i, task] of plan.tasks.entries()) {
    const where = `tasks[${i}].packet`;
    let body: Record<string, unknown>;
    let packetSource = `${source}: ${where}`;
    let packetDir = baseDir;
    if (isFileRef(task.packet)) {
      const file = absolute(task.packet.file, baseDir);
      try {
        // Decoded only: the packet is validated below, after the plan defaults are applied.
        const decoded = decodeDocument(await readFile(file, 'utf8'), file);
        if (decoded === null || typeof decoded !== 'object' || Array.isArray(decoded)) throw new Error(`${file}: a packet file holds an object`);
        body = decoded as Record<string, unknown>;
      } catch (e) {
        problems.push(`${source}: ${where}.file: ${(e as Error).message.split('\n').join(`\n${source}: ${where}.file: `)}`);
        continue;
      }
      packetSource = `${source}: ${where} (${task.packet.file})`;
      packetDir = dirname(file);
    } else body = task.packet;

    const own = ownFieldProblems(body);
    for (const [field, why] of own) problems.push(`${packetSource}: ${field}: ${why}`);
    if (own.length > 0) continue;

    const merged = deepMerge(plan.defaults, body);
    // A repo that is not an object (from the task or the defaults) is left for the schema to
    // name; spread, a string would become one key per character.
    if (merged.repo !== undefined && !isPlainObject(merged.repo)) {
      problems.push(...formatPacketIssues(TaskPacketSchema.safeParse(merged, { reportInput: true }).error?.issues ?? [], packetSource).slice(0, MAX_PROBLEMS_PER_TASK));
      continue;
    }
    const repo = (merged.repo ?? {}) as Record<string, unknown>;
    const taskRepo = typeof repo.path === 'string' ? absolute(repo.path, packetDir) : repoPath;
    if (taskRepo !== repoPath) {
      problems.push(`${packetSource}: repo.path: task works on ${taskRepo}, not the plan's repository ${repoPath}; allowed: omit repo.path, or the plan's repo.path`);
      continue;
    }
    if (repo.url !== undefined) {
      problems.push(`${packetSource}: repo.url: a run works on the plan's local repository; allowed: remove repo.url`);
      continue;
    }
    merged.repo = { ...repo, path: repoPath, baseBranch: plan.target };
    const result = TaskPacketSchema.safeParse(merged, { reportInput: true });
    if (!result.success) {
      problems.push(...formatPacketIssues(result.error.issues, packetSource).slice(0, MAX_PROBLEMS_PER_TASK));
      continue;
    }
    if (result.data.merge.mode === 'none') {
      problems.push(`${packetSource}: merge.mode: "none" never lands, and a run task must land on the integration branch; allowed: merge, squash, ff_only`);
      continue;
    }
    tasks.push({ id: task.id, packet: result.data, fingerprint: packetFingerprint(result.data), dependsOn: task.dependsOn, locks: task.locks });
  }
  if (problems.length > 0) throw new LanesError('validation', problems.join('\n'), FIX_HINT);
  return {
    id: plan.id,
    repoPath,
    target: plan.target,
    integrationBranch: plan.integrationBranch ?? defaultIntegrationBranch(plan.id),
    maxParallel: plan.maxParallel,
    doctor: plan.doctor,
    budget: plan.budget,
    tasks,
  };
}

/** Fields the run owns: a task packet that sets them is refused rather than silently overridden. */
function ownFieldProblems(body: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  const obj = (v: unknown) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {});
  if (body.id !== undefined) out.push(['id', 'a task packet has no id in a plan (the lane id is <runId>.<taskId>); allowed: remove it']);
  if (obj(body.repo).baseBranch !== undefined) out.push(['repo.baseBranch', 'lanes of a run start from the integration branch; allowed: remove it (set the plan target instead)']);
  if (obj(body.merge).target !== undefined) out.push(['merge.target', 'lanes of a run land on the integration branch; allowed: remove it (set the plan target instead)']);
  if (obj(body.branch).name !== undefined) out.push(['branch.name', 'lane branches of a run are lanes/<runId>.<taskId>; allowed: remove it']);
  return out;
}

function isFileRef(p: unknown): p is { file: string } {
  return p !== null && typeof p === 'object' && Object.keys(p).length === 1 && typeof (p as { file?: unknown }).file === 'string';
}

function absolute(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** Objects merge key by key; anything else (arrays included) from `over` replaces `under`. */
export function deepMerge(under: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...under };
  for (const [k, v] of Object.entries(over)) {
    const u = Object.hasOwn(out, k) ? out[k] : undefined;
    // Defined, not assigned: a `__proto__` key stays an own key (the schema refuses it as
    // unknown) instead of swapping the merged object's prototype.
    Object.defineProperty(out, k, { value: isPlainObject(u) && isPlainObject(v) ? deepMerge(u, v) : v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
