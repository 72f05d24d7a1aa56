// The Lanes package itself: its root folder and version, read once from package.json.
// The one version source for `lanes --version`, the webhook user agent and the MCP client
// info. Works from src/ (tests) and dist/ (the built CLI): both sit one level below the root.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The folder holding Lanes' package.json (and dist/, node_modules/). */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The version in package.json, e.g. "0.1.0". Checked by hand, not with zod: `lanes --help` needs it and loads nothing else. */
export const LANES_VERSION: string = versionOf(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as unknown);

function versionOf(pkg: unknown): string {
  const { name, version } = (pkg ?? {}) as { name?: unknown; version?: unknown };
  if (name !== 'lanes' || typeof version !== 'string' || !version) throw new Error(`${PACKAGE_ROOT}package.json is not Lanes' package.json (name "lanes" and a version expected)`);
  return version;
}
