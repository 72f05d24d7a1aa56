// Tool-call approval rules (packet `agent.approvals`): tool name + argument pattern ->
// allow | ask | deny. The first matching rule decides; no match takes the default.
// Pure: the tool-call activity decides, the workflow waits for a person on `ask`.
import type { APPROVAL_DECISIONS } from '../packet/schema.js';

export type ApprovalDecisionKind = (typeof APPROVAL_DECISIONS)[number];

export interface ApprovalRule {
  /** A tool name (`bash`, `write_file`, `mcp__github__create_issue`), `*`, or a prefix ending in `*`. */
  tool: string;
  /** A JavaScript regular expression tested against the call's argument; absent matches any. */
  match?: string;
  decision: ApprovalDecisionKind;
}

export interface ApprovalPolicy {
  rules: ApprovalRule[];
  /** For calls no rule matches. */
  default: ApprovalDecisionKind;
  /** How long a request waits before it escalates (default: the packet's escalation timeout). */
  timeoutMs?: number;
}

/** Characters of a call's argument kept in an approval request (events, status, webhook). */
export const APPROVAL_ARGUMENT_CHARS = 2_000;

/**
 * The one string the rules match and the operator reads: the bash command, the file
 * path (write_file/edit_file/read_file/list), the pattern (glob/grep), else the input as JSON.
 */
export function fullArgument(tool: string, input: unknown): string {
  const o = (input ?? {}) as Record<string, unknown>;
  const pick = tool === 'bash' ? o.command : tool === 'glob' || tool === 'grep' ? o.pattern : ['read_file', 'write_file', 'edit_file', 'list'].includes(tool) ? (o.path ?? '.') : undefined;
  return typeof pick === 'string' ? pick : JSON.stringify(input ?? null);
}

/** The argument as people see it in a request (capped). */
export function approvalArgument(tool: string, input: unknown): string {
  const text = fullArgument(tool, input);
  return text.length > APPROVAL_ARGUMENT_CHARS ? `${text.slice(0, APPROVAL_ARGUMENT_CHARS - 1)}…` : text;
}

function toolMatches(pattern: string, tool: string): boolean {
  if (pattern === '*') return true;
  return pattern.endsWith('*') ? tool.startsWith(pattern.slice(0, -1)) : pattern === tool;
}

/** A rule as people write it: `bash ~ /^git push/`. */
export function describeRule(rule: ApprovalRule): string {
  return rule.match === undefined ? rule.tool : `${rule.tool} ~ /${rule.match}/`;
}

export interface ApprovalVerdict {
  decision: ApprovalDecisionKind;
  /** The matching rule, or null when the default decided. */
  rule: string | null;
  argument: string;
}

export function decideApproval(policy: ApprovalPolicy, tool: string, input: unknown): ApprovalVerdict {
  // Rules match the whole argument, never the capped copy shown to people.
  const full = fullArgument(tool, input);
  const argument = approvalArgument(tool, input);
  for (const rule of policy.rules) {
    if (!toolMatches(rule.tool, tool)) continue;
    if (rule.match !== undefined && !new RegExp(rule.match).test(full)) continue;
    return { decision: rule.decision, rule: describeRule(rule), argument };
  }
  return { decision: policy.default, rule: null, argument };
}
