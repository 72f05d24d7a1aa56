// Fault injection for drills, chaos and tests: kill points, plans, and the injector
// the worker hands to the activity factories.
export { KILL_POINTS, KILL_POINT_DESCRIPTIONS, type KillPoint, isKillPoint } from './points.js';
export {
  FAULT_KINDS,
  FAULT_PLAN_ENV,
  type FaultKind,
  type FaultPlan,
  type FaultPlanInput,
  FaultPlanSchema,
  type FaultSpec,
  FaultSpecSchema,
  loadWorkerFaultPlan,
  parseFaultPlan,
  readFaultPlanFile,
} from './plan.js';
export {
  chaosPlanPath,
  createFaultInjector,
  type FaultContext,
  type FaultFiring,
  type FaultFiringRecord,
  type FaultInjector,
  type FaultInjectorOptions,
  faultRecordPath,
  NO_FAULTS,
  readFaultFiring,
  readFaultFirings,
  FaultFiringRecordSchema,
} from './inject.js';
