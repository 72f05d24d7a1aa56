// Build step: bundles the compiled CLI (dist/client/index.js and every command module it
// loads on demand) into dist/cli/, one file per lazily loaded command plus shared chunks.
// Node then reads, resolves and compiles a few files instead of a few hundred (zod alone
// is ~100 ESM files), which is most of what `lanes status` spent in our own code
// (docs/performance.md, "CLI latency"). bin/lanes.js runs this bundle.
//
// What stays outside: every npm package except zod and commander (only our code uses
// them). The Temporal SDK, gRPC and the rest keep loading from node_modules, so a process
// holds one copy of each, shared with the Temporal worker and anything else that requires them.
import { readFile, rm } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const DIST = fileURLToPath(new URL('..', import.meta.url));
const OUT = fileURLToPath(new URL('../cli/', import.meta.url));
/** Packages bundled in: only our code uses them, so no object crosses to a copy outside. */
const BUNDLED_PACKAGES = new Set(['zod', 'commander']);

/**
 * Each module keeps its own `import.meta.url` (its file under dist/): the code finds
 * package.json, the workflow bundle, the CLI manifest and node_modules relative to it.
 */
const ownImportMetaUrl: Plugin = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async ({ path }) => {
      const text = await readFile(path, 'utf8');
      if (!path.startsWith(DIST) || !text.includes('import.meta.url')) return { contents: text, loader: 'js' };
      const rel = relative(OUT, path).split('\\').join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js' };
    });
  },
};

const packagesOutside: Plugin = {
  name: 'packages-outside',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, ({ path }) => {
      const name = path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0]!;
      return BUNDLED_PACKAGES.has(name) ? undefined : { external: true };
    });
  },
};

await rm(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints: [`${DIST}client/index.js`],
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  // CommonJS code in the bundle (commander) requires Node's built-in modules.
  banner: { js: "import { createRequire as __lanesCreateRequire } from 'node:module';\nconst require = __lanesCreateRequire(import.meta.url);" },
  plugins: [ownImportMetaUrl, packagesOutside],
  metafile: true,
  logLevel: 'warning',
});
const files = Object.keys(result.metafile.outputs).length;
const modules = Object.keys(result.metafile.inputs).length;
process.stdout.write(`cli bundle: ${OUT} (${modules} modules in ${files} files)\n`);
