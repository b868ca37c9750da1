/** The pure KPI models other than attribution. See docs/kpis.md for the definitions. */
export * from './types';
export * from './period';
export * from './stats';
export * from './money';
export * from './source';
export * from './traffic';
export * from './stage-history';
export * from './pipeline-velocity';
export * from './funnel';
export * from './revenue-by-source';
export * from './open-pipeline';
export * from './days-to-deal';
export * from './lifecycle';
export * from './speed-to-lead';
export * from './meetings-booked';
export * from './brand-traffic';
export * from './lead-contact';
