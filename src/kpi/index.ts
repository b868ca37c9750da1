/**
 * What other features may use of the KPI feature: asking for a recomputation (through the job
 * queue) and the pure attribution rules the cards show (key touches).
 */
export { requestKpiRecompute } from './kpi.worker';
export { findKeyTouches, selectCountedTouches } from './models/attribution';
export type { Conversion, Touch } from './models/attribution';
