// Workflow bundle entry: every workflow type the worker registers.
export { pingWorkflow } from './ping.js';
