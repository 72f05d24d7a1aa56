// The agent's built-in tools as the model sees them: names, descriptions, input schemas.
// The zod schemas are the source; the JSON Schemas sent to providers are generated.
import { z } from 'zod';

export const BASH_DEFAULT_TIMEOUT_MS = 120_000;
export const BASH_MAX_TIMEOUT_MS = 600_000;
/** Tool output the agent sees is capped at this many characters (a note says what was cut). */
export const TOOL_OUTPUT_LIMIT_CHARS = 30_000;
export const READ_DEFAULT_LIMIT_LINES = 2_000;

const relPath = z.string().min(1).describe('Path relative to the worktree root.');

export const ToolInputSchemas = {
  read_file: z.object({
    path: relPath,
    offset: z.number().int().min(1).max(10_000_000).optional().describe('1-based line to start at (default 1).'),
    limit: z.number().int().min(1).max(10_000).optional().describe(`Number of lines to return (default ${READ_DEFAULT_LIMIT_LINES}).`),
  }),
  write_file: z.object({
    path: relPath,
    content: z.string().describe('The complete new content of the file.'),
  }),
  edit_file: z.object({
    path: relPath,
    old_string: z.string().min(1).describe('Exact text to replace; must occur exactly once unless replace_all is true.'),
    new_string: z.string().describe('Replacement text.'),
    replace_all: z.boolean().optional().describe('Replace every occurrence (default false).'),
  }),
  list: z.object({
    path: z.string().optional().describe('Directory relative to the worktree root (default: the root).'),
  }),
  glob: z.object({
    pattern: z.string().min(1).describe('Glob relative to the worktree root, e.g. "src/**/*.ts".'),
  }),
  grep: z.object({
    pattern: z.string().min(1).describe('JavaScript regular expression, matched per line.'),
    path: z.string().optional().describe('File or directory to search (default: the whole worktree).'),
    glob: z.string().optional().describe('Only search files matching this glob, e.g. "**/*.ts".'),
  }),
  bash: z.object({
    command: z.string().min(1).describe('Shell command, run with the worktree as working directory.'),
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(BASH_MAX_TIMEOUT_MS)
      .optional()
      .describe(`Timeout in ms (default ${BASH_DEFAULT_TIMEOUT_MS}, max ${BASH_MAX_TIMEOUT_MS}).`),
  }),
} as const;

export type ToolName = keyof typeof ToolInputSchemas;
export type ToolInput<N extends ToolName> = z.infer<(typeof ToolInputSchemas)[N]>;
export const TOOL_NAMES = Object.keys(ToolInputSchemas) as ToolName[];

export function isToolName(name: string): name is ToolName {
  return Object.hasOwn(ToolInputSchemas, name);
}

/** Provider-neutral tool description: Anthropic `input_schema` / OpenAI `parameters` take `inputSchema`. */
export interface ToolSpec {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

const DESCRIPTIONS: Record<ToolName, string> = {
  read_file: 'Read a text file in the worktree. Returns numbered lines; use offset/limit for long files.',
  write_file: 'Create or overwrite a file in the worktree with the given content. Parent directories are created.',
  edit_file:
    'Replace exact text in a file. Fails if old_string is not found, or occurs more than once and replace_all is not set; include surrounding lines to make it unique.',
  list: 'List a directory in the worktree. Directories end in "/", symbolic links in "@".',
  glob: 'Find files in the worktree by glob pattern (".git" is skipped). Returns paths relative to the root.',
  grep: 'Search file contents in the worktree with a JavaScript regular expression. Returns "path:line: text"; binary files and .git are skipped.',
  bash: `Run a shell command in the worktree. Output (stdout and stderr) is capped at ${TOOL_OUTPUT_LIMIT_CHARS} characters. Background processes do not outlive the call. In workspace_write mode only the worktree (and $TMPDIR) is writable.`,
};

function inputSchemaOf(name: ToolName): Record<string, unknown> {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(ToolInputSchemas[name], { io: 'input' }) as Record<string, unknown>;
  return schema;
}

export const TOOL_SPECS: readonly ToolSpec[] = TOOL_NAMES.map((name) => ({
  name,
  description: DESCRIPTIONS[name],
  inputSchema: inputSchemaOf(name),
}));
