// Identity of the worker process that ran an activity: lets operators and tests
// see which host/process did the work (and proves a real worker ran it).
import { hostname } from 'node:os';

export interface WorkerInfo {
  host: string;
  pid: number;
  node: string;
  message: string;
}

export function createWorkerInfoActivities() {
  return {
    /** Failure semantics: pure read of process facts; a retry returns fresh facts. */
    async describeWorker(message: string): Promise<WorkerInfo> {
      return { host: hostname(), pid: process.pid, node: process.version, message };
    },
  };
}
