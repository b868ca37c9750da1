/** Reports for marketers: web pages, CSV exports and one-time access links over the stored KPIs. */
export { createReportService } from './report.service';
export type { ReportService, ReportServiceDeps } from './report.service';
export { createReportsRouter } from './reports.routes';
export type { ReportsRouterDeps } from './reports.routes';
export { VIEWS, VIEW_TITLES, buildView, viewParamsSchema } from './views';
export type { ReportView, ViewName, ViewParams } from './views';
export { openRecordList } from './drill';
export { renderViewPage } from './pages';
export { csvLine } from './csv';
export { clearChartCache } from './charts';
export * from './report.schemas';
