// Branch-name validity per `git check-ref-format --branch`, checked without spawning git
// so a packet is refused before anything starts (and the check stays workflow-safe).

// ASCII control characters, space, and the characters git reserves: ~ ^ : ? * [ \
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARS = /[\x00-\x20\x7f~^:?*[\\]/;

/** Why `name` is not a valid git branch name, or undefined when it is valid. */
export function gitRefNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name === '@') return 'is "@", which git reserves';
  if (name.startsWith('-')) return 'starts with "-"';
  if (name.startsWith('/') || name.endsWith('/')) return 'starts or ends with "/"';
  if (name.includes('//')) return 'contains "//"';
  if (name.includes('..')) return 'contains ".."';
  if (name.includes('@{')) return 'contains "@{"';
  if (name.endsWith('.')) return 'ends with "."';
  const bad = FORBIDDEN_CHARS.exec(name);
  if (bad) return `contains the character ${JSON.stringify(bad[0])}`;
  for (const component of name.split('/')) {
    if (component.startsWith('.')) return `has a path component starting with "." (${JSON.stringify(component)})`;
    if (component.endsWith('.lock')) return `has a path component ending with ".lock" (${JSON.stringify(component)})`;
  }
  return undefined;
}

export function isValidGitRefName(name: string): boolean {
  return gitRefNameProblem(name) === undefined;
}
