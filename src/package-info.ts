// The Lanes package itself: its root folder and version, read once from package.json.
// The one version source for `lanes --version`, the webhook user agent and the MCP client
// info. Works from src/ (tests) and dist/ (the built CLI): both sit one level below the root.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The folder holding Lanes' package.json (and dist/, node_modules/). */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

const PackageJsonSchema = z.object({ name: z.literal('lanes'), version: z.string().min(1) });

/** The version in package.json, e.g. "0.1.0". */
export const LANES_VERSION: string = PackageJsonSchema.parse(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))).version;
