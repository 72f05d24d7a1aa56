// ESLint rule `lanes/import-boundaries`: which folder may import which (DESIGN.md §2,
// "dependencies point down"). eslint-plugin-import's no-restricted-paths does this, but it
// is not installable here (not in the npm cache); this rule resolves relative specifiers
// to repository paths and matches them against zones:
//   { from, forbid, message }          files in `from` may not import anything in `forbid`;
//   { from, allowOnly, packages, message }  files in `from` may import only `allowOnly`
//                                       paths and the named `packages`.
// `allowTypeImports: true` lets a zone import types from anywhere (they are erased).
import { dirname, relative, resolve } from 'node:path';
import picomatch from 'picomatch';

const zoneSchema = {
  type: 'object',
  properties: {
    from: { type: 'array', items: { type: 'string' } },
    except: { type: 'array', items: { type: 'string' } },
    forbid: { type: 'array', items: { type: 'string' } },
    allowOnly: { type: 'array', items: { type: 'string' } },
    packages: { type: 'array', items: { type: 'string' } },
    allowTypeImports: { type: 'boolean' },
    message: { type: 'string' },
  },
  required: ['from', 'message'],
  additionalProperties: false,
};

/** A declaration that TypeScript erases: `import type`, or every specifier is `type`. */
function typeOnly(node) {
  if (node.importKind === 'type' || node.exportKind === 'type') return true;
  const specs = node.specifiers ?? [];
  return specs.length > 0 && specs.every((s) => s.importKind === 'type' || s.exportKind === 'type');
}

/** The repository path an import resolves to (`.js` specifiers name `.ts` sources), or null for a package. */
function targetPath(root, file, spec) {
  if (!spec.startsWith('.')) return null;
  return relative(root, resolve(dirname(file), spec)).split('\\').join('/').replace(/\.js$/, '.ts');
}

/** The package name of a bare specifier: `@scope/name` or `name` (subpaths dropped). */
function packageName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export const importBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'Keep imports pointing down the layers (DESIGN.md §2).' },
    schema: { type: 'array', items: zoneSchema },
    messages: { boundary: '{{file}} may not import {{target}}: {{message}}' },
  },
  create(context) {
    const root = context.cwd;
    const file = relative(root, context.filename).split('\\').join('/');
    const zones = context.options.filter((z) => picomatch(z.from)(file) && !(z.except && picomatch(z.except)(file)));
    if (zones.length === 0) return {};
    const matchers = zones.map((z) => ({
      zone: z,
      forbid: z.forbid ? picomatch(z.forbid) : null,
      allow: z.allowOnly ? picomatch(z.allowOnly) : null,
      packages: new Set(z.packages ?? []),
    }));

    function check(node, source, isType) {
      if (!source || typeof source.value !== 'string') return;
      const spec = source.value;
      const target = targetPath(root, context.filename, spec);
      for (const { zone, forbid, allow, packages } of matchers) {
        if (isType && zone.allowTypeImports) continue;
        const bad = target === null
          ? allow !== null && !packages.has(packageName(spec))
          : (forbid?.(target) ?? false) || (allow !== null && !allow(target));
        if (bad) context.report({ node: source, messageId: 'boundary', data: { file, target: target ?? spec, message: zone.message } });
      }
    }

    return {
      ImportDeclaration: (node) => check(node, node.source, typeOnly(node)),
      ExportNamedDeclaration: (node) => check(node, node.source, typeOnly(node)),
      ExportAllDeclaration: (node) => check(node, node.source, node.exportKind === 'type'),
      ImportExpression: (node) => check(node, node.source, false),
    };
  },
};

export default { rules: { 'import-boundaries': importBoundaries } };
