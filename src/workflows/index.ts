// Workflow bundle entry: every workflow type the worker registers.
export { laneWorkflow } from './lane.js';
export { pingWorkflow } from './ping.js';
