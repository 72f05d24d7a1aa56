// Wires the real adapters into the activity factories the worker registers.
import { createWorkerInfoActivities } from '../activities/worker-info.js';

export interface ActivityDeps {
  home: string;
}

export function createActivities(_deps: ActivityDeps) {
  return {
    ...createWorkerInfoActivities(),
  };
}
