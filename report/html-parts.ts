/**
 * Pieces of the HTML report both its simulation and its race sections use:
 * escaping, error text, and a list of job runs.
 */
import type { ErrorJSON, ExecutionJSON } from '../runtime/index.js';

/**
 * Escapes text for HTML element content and double- or single-quoted
 * attributes. Every value from the report goes through it, numbers included:
 * the renderer never trusts that a field has the type its JSON shape says.
 */
export function escapeHtml(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The job runs, each at its offset from the first. */
export function runs(performed: readonly ExecutionJSON[]): string {
  if (performed.length === 0) return 'none recorded';
  const start = Date.parse(performed[0]!.ranAt);
  const items = performed.map((p) => {
    const at = offset(Date.parse(p.ranAt) - start);
    const outcome =
      p.outcome === 'completed'
        ? 'completed'
        : p.outcome === 'crashed'
          ? `crashed (the worker died)${p.retryAt ? `, re-delivered at ${offset(Date.parse(p.retryAt) - start)}` : ''}`
          : `failed: ${escapeHtml(errorText(p.error))}${p.retryAt ? `, retried at ${offset(Date.parse(p.retryAt) - start)}` : ', not retried'}`;
    return `<li><code>${escapeHtml(p.name)}</code> attempt ${escapeHtml(p.attempt)} at ${at}: ${outcome}</li>`;
  });
  return `<ol class="runs">${items.join('')}</ol>`;
}

/** `Name: message`, or `threw …` for a thrown non-error. */
export function errorText(error: ErrorJSON | null): string {
  if (!error) return 'no error recorded';
  return error.name === 'NonError' ? `threw ${error.message}` : `${error.name}: ${error.message}`;
}

function offset(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 1000) return `+${ms}ms`;
  if (ms < 60_000) return `+${+(ms / 1000).toFixed(3)}s`;
  return `+${+(ms / 60_000).toFixed(2)}m`;
}

