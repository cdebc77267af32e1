/**
 * The HTML report as a library: read a report JSON file written by
 * `writeReport` (or `faultline/vitest`) and render it as one self-contained
 * page. The CLI's `report` command and the demo both use it through this
 * index; nothing outside this room imports its files directly.
 */
export { renderHtmlReport, escapeHtml, type HtmlReportOptions } from './render.js';
export { parseReport, InvalidReportError, ReportFormatError } from './parse.js';
export { fileOutcomes, sourceLine, type FileOutcome, type LineOutcome, type LineStatus } from './outcomes.js';
