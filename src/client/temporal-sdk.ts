// The Temporal client SDK for the CLI, loaded with require(). It is CommonJS: an ESM
// `import` of it makes Node scan every re-exported file for named exports first
// (cjs-module-lexer), about a third of what `lanes status` spends loading it. Types
// still come from `import type`; classes are the same objects either way (one module cache).
import { createRequire } from 'node:module';

export const temporalClient = createRequire(import.meta.url)('@temporalio/client') as typeof import('@temporalio/client');
