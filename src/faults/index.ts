// Fault injection for drills and tests: kill points, plans, and the point hook.
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
  allowChaosPlans,
  chaosPlanPath,
  type FaultContext,
  type FaultFiring,
  type FaultFiringRecord,
  faultPoint,
  faultRecordPath,
  installFaultPlan,
  installedFaultPlan,
  readFaultFirings,
} from './inject.js';
