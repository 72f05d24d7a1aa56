// Workflow bundle entry: every workflow type the worker registers.
export { chaosWorkflow } from './chaos.js';
export { laneWorkflow } from './lane/workflow.js';
export { pingWorkflow } from './ping.js';
export { runWorkflow } from './run/workflow.js';
