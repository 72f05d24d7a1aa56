// The one sandbox for everything a lane executes (docs/security.md).
export { runSandboxed, SandboxRefused, SANDBOX_UNAVAILABLE_HINT, type RunSandboxedOptions } from './run.js';
export { planSandbox, gitDirsOf, expandPath, DEFAULT_SANDBOX_SETTINGS, DEFAULT_HIDDEN_HOME_PATHS, type SandboxPlan, type SandboxSettings, type SandboxNetwork } from './plan.js';
export { sandboxAvailability, sandboxFeatures, SHELL_PATH, type SandboxFeatures, type SandboxAvailability } from './namespace.js';
export { sandboxEnv, isLanesOwnVariable } from './env.js';
export { loopbackEndpoint, shellQuote, type RelayTarget } from './model-relay.js';
