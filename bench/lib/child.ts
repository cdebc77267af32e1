/**
 * Runs one measurement in a fresh Node process, so JIT state, heap and peak
 * RSS of one side never leak into the other. The child prints its result as
 * one JSON line on stdout (the last line); stderr passes through.
 */
import { spawn } from 'node:child_process';
import { ROOT } from './corpus.js';

/** Thrown when a benchmark child process exits non-zero or prints no JSON result. */
export class BenchChildError extends Error {
  constructor(script: string, detail: string) {
    super(`bench child ${script} failed: ${detail}`);
    this.name = 'BenchChildError';
  }
}

/** Extra settings of a child: more `--import` modules (after tsx) and environment variables. */
export interface ChildOptions {
  imports?: string[];
  env?: Record<string, string>;
}

/**
 * Runs `script` (a .ts file under bench/, run with tsx and --expose-gc) with
 * `args` passed as one JSON argument, and resolves with the JSON it printed.
 */
export function runChild<T>(script: string, args: unknown, options: ChildOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const imports = ['tsx', ...(options.imports ?? [])].flatMap((module) => ['--import', module]);
    const child = spawn(process.execPath, ['--expose-gc', ...imports, script, JSON.stringify(args)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new BenchChildError(script, `exit code ${code}; output: ${stdout.slice(-2000)}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new BenchChildError(script, `no JSON result line; output: ${stdout.slice(-2000)}`));
      }
    });
  });
}

/** Parses the JSON argument a child was started with. */
export function childArgs<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new BenchChildError(process.argv[1] ?? 'child', 'started without its JSON argument');
  return JSON.parse(raw) as T;
}

/** Prints a child's result (the parent reads the last stdout line). */
export function reply(result: unknown): void {
  process.stdout.write(JSON.stringify(result) + '\n');
}
