// Turning packet text into a validated TaskPacket, with errors an automation can act on:
// every problem on its own line, naming the file, the field path, and what would be accepted.
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { LanesError } from '../errors.js';
import { jsonErrorOffset } from './json-syntax.js';
import { type TaskPacket, TaskPacketSchema } from './schema.js';

export type PacketFormat = 'json' | 'yaml';

export interface ParsePacketOptions {
  /** Skip format guessing. */
  format?: PacketFormat;
  /** File name or label used in error lines; its extension picks the format. */
  source?: string;
}

const DEFAULT_SOURCE = 'packet';
/**
 * Packet files larger than this are refused before decoding (a packet is instructions, not data).
 * It sits above the submit-time payload limit (1024 KiB as JSON, see client preflight) so a packet
 * between the two still gets the payload error that names its biggest field.
 */
export const MAX_PACKET_BYTES = 4 * 1024 * 1024;
/** YAML alias expansions allowed per packet: stops "billion laughs" documents. */
const MAX_YAML_ALIAS_COUNT = 100;
const FIX_HINT = 'Fix each listed field; the full contract is schemas/task-packet.schema.json.';

/** Parse and validate packet text (JSON or YAML). Throws LanesError('validation') listing every problem. */
export function parsePacket(text: string, opts: ParsePacketOptions = {}): TaskPacket {
  return decodePacket(text, opts).packet;
}

/** Read, parse and validate a packet file. */
export async function loadPacketFile(path: string): Promise<{ packet: TaskPacket; raw: unknown; text: string }> {
  let text: string;
  try {
    // Checked before reading, so a huge file is refused without being loaded.
    const size = (await stat(path)).size;
    if (size > MAX_PACKET_BYTES) {
      throw new LanesError('validation', `${path}: the packet is ${size} bytes; allowed: at most ${MAX_PACKET_BYTES} bytes`, 'Keep packets small: point at files in the repository instead of inlining their content.');
    }
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof LanesError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new LanesError('validation', `${path}: packet file does not exist`, 'Check the path, or write the packet first (see examples/minimal.yaml).');
    }
    if (code === 'EISDIR') {
      throw new LanesError('validation', `${path}: is a directory, not a packet file`, 'Pass the path of a .json or .yaml packet file.');
    }
    throw new LanesError('validation', `${path}: cannot read packet file: ${(err as Error).message}`, 'Check the file permissions.', undefined, { cause: err });
  }
  const { packet, raw } = decodePacket(text, { source: path });
  return { packet, raw, text };
}

/** Validate an already-decoded packet value (e.g. one received over an API). */
export function validatePacket(raw: unknown, source: string = DEFAULT_SOURCE): TaskPacket {
  // reportInput lets the formatter tell a missing field from a wrongly typed one.
  const result = TaskPacketSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    throw new LanesError('validation', formatPacketIssues(result.error.issues, source).join('\n'), FIX_HINT);
  }
  return result.data;
}

function decodePacket(input: string, opts: ParsePacketOptions): { packet: TaskPacket; raw: unknown } {
  const source = opts.source ?? DEFAULT_SOURCE;
  const bytes = Buffer.byteLength(input, 'utf8');
  if (bytes > MAX_PACKET_BYTES) {
    throw new LanesError('validation', `${source}: the packet is ${bytes} bytes; allowed: at most ${MAX_PACKET_BYTES} bytes`, 'Keep packets small: point at files in the repository instead of inlining their content.');
  }
  // Editors on Windows save a UTF-8 byte-order mark; YAML skips it, JSON.parse does not. Same for both.
  const text = input.replace(/^\uFEFF/, '');
  if (text.trim() === '') {
    throw new LanesError('validation', `${source}: the packet is empty; allowed: a JSON or YAML object with at least objective, repo, acceptance and agent`, 'See examples/minimal.yaml.');
  }
  const raw = decodeText(text, opts.format ?? formatFromSource(opts.source), source);
  return { packet: validatePacket(raw, source), raw };
}

/** JSON or YAML text to a value (format from the source's extension, else guessed); syntax errors name the location. */
export function decodeDocument(text: string, source: string): unknown {
  return decodeText(text, formatFromSource(source), source);
}

function formatFromSource(source: string | undefined): PacketFormat | undefined {
  if (!source) return undefined;
  const ext = extname(source).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return undefined;
}

function decodeText(text: string, format: PacketFormat | undefined, source: string): unknown {
  if (format === 'json') return decodeJson(text, source);
  if (format === 'yaml') return decodeYaml(text, source);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    try {
      return decodeYaml(text, source);
    } catch (yamlError) {
      // Broken text that looks like JSON gets the JSON error; YAML's complaint about it would confuse.
      if (/^\s*[{[]/.test(text)) return decodeJson(text, source);
      throw yamlError;
    }
  }
}

function decodeJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const offset = jsonErrorOffset(text);
    const where = offset === undefined ? '' : ` at ${lineColumn(text, offset)}`;
    // V8 appends a position or quotes a text excerpt; the location above replaces both.
    // Control characters are escaped so the message stays one printable line.
    // eslint-disable-next-line no-control-regex
    const what = (err as Error).message.replace(/ in JSON at position \d+.*$/, '').replace(/, ".*"(?:\.\.\.)? is not valid JSON$/s, '').replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).replace(/ \(line \d+ column \d+\)$/, '');
    throw new LanesError('validation', `${source}: invalid JSON${where}: ${what}`, 'Fix the JSON syntax (a YAML packet needs a .yaml or .yml extension).');
  }
}

function decodeYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
      // prettyErrors appends the location and a code frame; keep the one-line reason.
      const what = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '').trim();
      return `${source}: invalid YAML${where}: ${what}`;
    });
    throw new LanesError('validation', lines.join('\n'), 'Fix the YAML syntax (indentation, unclosed brackets or quotes, duplicate keys).');
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT }) as unknown;
  } catch (err) {
    throw new LanesError('validation', `${source}: invalid YAML: ${(err as Error).message}`, 'Remove YAML aliases/anchors from the packet.');
  }
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

type Issue = z.core.$ZodIssue;

/**
 * One line per problem: `<source>: <field.path>: <what was wrong>; allowed: <what would be accepted>`.
 * `schema` resolves the allowed keys of an object that has unknown keys; pass your own when
 * formatting issues from another schema.
 */
export function formatPacketIssues(issues: readonly Issue[], source: string, schema: z.core.$ZodType = TaskPacketSchema): string[] {
  return issues.flatMap((issue) => describeIssue(issue, schema).map(({ path, what, allowed }) => `${source}: ${formatPath(path)}: ${what}; allowed: ${allowed}`));
}

interface Described {
  path: readonly PropertyKey[];
  what: string;
  allowed: string;
}

function describeIssue(issue: Issue, root: z.core.$ZodType, prefix: readonly PropertyKey[] = []): Described[] {
  const path = [...prefix, ...issue.path];
  const one = (what: string, allowed: string): Described[] => [{ path, what, allowed }];
  if (isMissing(issue)) {
    const allowed = issue.code === 'invalid_value' ? listValues(issue.values) : issue.code === 'invalid_type' ? typeName(issue.expected) : 'a value';
    return one('required', allowed);
  }
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = objectKeysAt(root, path);
      const allowed = keys ? keys.join(', ') : 'see the packet schema';
      return issue.keys.map((key) => ({ path: [...path, key], what: 'unknown key', allowed }));
    }
    case 'invalid_type':
      return one(`wrong type: got ${valueKind(issueInput(issue))}`, typeName(issue.expected));
    case 'invalid_value':
      return one(`${preview(issueInput(issue))} is not an allowed value`, listValues(issue.values));
    case 'too_small':
      return one(...sizeProblem(issue, 'min'));
    case 'too_big':
      return one(...sizeProblem(issue, 'max'));
    case 'invalid_format':
      if (issue.format === 'url') return one(`${preview(issueInput(issue))} is not a valid http(s) URL`, 'an http:// or https:// URL');
      if (issue.format === 'regex') return one(`${preview(issueInput(issue))} does not match the required pattern`, `strings matching ${issue.pattern ?? 'the pattern'}`);
      return one(`${preview(issueInput(issue))} is not a valid ${issue.format}`, `a valid ${issue.format}`);
    case 'custom': {
      const allowed = (issue.params as { allowed?: unknown } | undefined)?.allowed;
      return one(issue.message, typeof allowed === 'string' ? allowed : 'see the packet schema');
    }
    case 'invalid_union':
      return describeUnion(issue, root, path);
    case 'invalid_key': {
      // The nested issues are about the key itself, so it is their input even without reportInput.
      const key = String(path.at(-1));
      const inner = issue.issues.flatMap((i) => describeIssue({ ...i, input: key } as Issue, root, path));
      return inner.length > 0
        ? inner.map((d) => ({ path, what: `key ${d.what}`, allowed: d.allowed }))
        : one(`key ${JSON.stringify(key)} is not allowed`, 'see the packet schema');
    }
    case 'not_multiple_of':
      return one(`${preview(issueInput(issue))} is not a multiple of ${issue.divisor}`, `multiples of ${issue.divisor}`);
    case 'invalid_element':
      return issue.issues.flatMap((i) => describeIssue(i, root, path));
  }
}

function describeUnion(issue: Extract<Issue, { code: 'invalid_union' }>, root: z.core.$ZodType, path: readonly PropertyKey[]): Described[] {
  const branches = issue.errors;
  // Every branch rejected the value's type: say which types would do.
  const rootTypeErrors = branches.map((b) => (b.length === 1 && b[0]?.code === 'invalid_type' && b[0].path.length === 0 ? b[0] : undefined));
  if (branches.length > 0 && rootTypeErrors.every((e) => e !== undefined)) {
    const expected = [...new Set(rootTypeErrors.map((e) => typeName(e!.expected)))];
    return [{ path, what: `wrong type: got ${valueKind(issueInput(issue))}`, allowed: expected.join(' or ') }];
  }
  // Otherwise the branch that got furthest (fewest problems, excluding root type mismatches) explains best.
  const candidates = branches.filter((_, i) => rootTypeErrors[i] === undefined);
  const best = candidates.sort((a, b) => a.length - b.length)[0];
  if (best && best.length > 0) return best.flatMap((i) => describeIssue(i, root, path));
  return [{ path, what: issue.message, allowed: 'see the packet schema' }];
}

function sizeProblem(issue: Extract<Issue, { code: 'too_small' | 'too_big' }>, side: 'min' | 'max'): [string, string] {
  const bound = side === 'min' ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum;
  const inclusive = issue.inclusive !== false;
  const cmp = side === 'min' ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
  const input = issueInput(issue);
  switch (issue.origin) {
    case 'string':
      if (side === 'min' && Number(bound) === 1) return ['must not be empty', 'a non-empty string'];
      return [`${preview(input)} has the wrong length`, `a string of ${cmp} ${bound} characters`];
    case 'array':
    case 'set':
      return [`has ${Array.isArray(input) ? input.length : 'the wrong number of'} items`, `${cmp} ${bound} items`];
    default:
      return [`${preview(input)} is out of range`, `a number ${cmp} ${bound}`];
  }
}

function isMissing(issue: Issue): boolean {
  if (issue.code !== 'invalid_type' && issue.code !== 'invalid_value') return false;
  if ('input' in issue) return issue.input === undefined;
  return /received undefined$/.test(issue.message);
}

function issueInput(issue: Issue): unknown {
  return 'input' in issue ? issue.input : undefined;
}

function typeName(expected: string): string {
  if (expected === 'int') return 'integer';
  if (expected === 'record') return 'object';
  return expected;
}

function listValues(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

function valueKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isInteger(value)) return `number ${value}`;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${preview(value)}`;
  return typeof value;
}

function preview(value: unknown): string {
  if (value === undefined) return 'the value';
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** `acceptance.targeted[0].run`, `mcp.servers["my server"]`, `(root)` for the packet itself. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_][\w-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

// Walks the schema along an issue path to the object whose keys were unrecognized.
function objectKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] | undefined {
  const def = schema._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return objectKeysAt((def as unknown as { innerType: z.core.$ZodType }).innerType, path);
    case 'pipe':
      return objectKeysAt((def as z.core.$ZodPipeDef).in, path);
    case 'union':
      for (const option of (def as z.core.$ZodUnionDef).options) {
        const keys = objectKeysAt(option, path);
        if (keys) return keys;
      }
      return undefined;
    case 'object': {
      const shape = (def as z.core.$ZodObjectDef).shape;
      if (path.length === 0) return Object.keys(shape);
      const [head, ...rest] = path;
      const child = typeof head === 'string' ? shape[head] : undefined;
      return child ? objectKeysAt(child, rest) : undefined;
    }
    case 'array':
      return path.length > 0 && typeof path[0] === 'number' ? objectKeysAt((def as z.core.$ZodArrayDef).element, path.slice(1)) : undefined;
    case 'record':
      return path.length > 0 ? objectKeysAt((def as z.core.$ZodRecordDef).valueType, path.slice(1)) : undefined;
    default:
      return undefined;
  }
}
