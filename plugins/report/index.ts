/** Report pictures (SVG) and pages (HTML) for dmgan runs. */
export { escapeXml, formatValue, niceTicks, paletteColor } from './svg.js';
export { renderRealVsGeneratedSvg, renderGeneratorScatterSvg, strideIndices } from './scatter.js';
export type { ScatterOptions } from './scatter.js';
export { renderPriorHistorySvg, renderMetricHistorySvg } from './curves.js';
export type { LinesHistoryEntry } from './curves.js';
export { renderIndexHtml } from './html.js';
export type { IndexHtmlInput, ReportImage } from './html.js';
export { writeLinesReport, LINES_REPORT_FILES } from './lines.js';
export type { LinesReportInput } from './lines.js';
export { renderBoxStripSvg, renderTrajectoriesSvg } from './summaryPlots.js';
export type { BoxGroup, Trajectory } from './summaryPlots.js';
