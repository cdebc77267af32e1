/**
 * Progress of a simulation on a stream (stderr): one bar redrawn in place on
 * a terminal, plain lines otherwise (CI logs, pipes) where `\r` would only
 * make a mess.
 */
import type { SimulationProgress } from 'faultline';

/** The part of a `tty.WriteStream` the progress display needs. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

const BAR_WIDTH = 24;

/**
 * Returns an `onProgress` callback for `simulate` that reports to `stream`,
 * labelled `label`.
 */
export function progressReporter(stream: ProgressStream, label: string): (progress: SimulationProgress) => void {
  if (!stream.isTTY) {
    return ({ done, total, last }) => {
      if (!last) stream.write(`${label}: running ${total} scenario${total === 1 ? '' : 's'}\n`);
      else stream.write(`${label}: ${String(done).padStart(String(total).length)}/${total} ${last.passed ? 'passed' : 'FAILED'} ${last.name}\n`);
    };
  }
  return ({ done, total, last }) => {
    const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
    const tail = last ? ` ${last.passed ? '✓' : '✗'} ${last.name}` : '';
    const line = `${label} ${bar} ${done}/${total}${tail}`;
    const width = Math.max(20, (stream.columns || 80) - 1); // 0 when the terminal size is unknown
    // \r back to column 0, then clear to the end of the line: the bar is redrawn in place.
    stream.write(`\r${line.length > width ? `${line.slice(0, width - 1)}…` : line}\x1b[K`);
    if (done === total) stream.write('\n');
  };
}
