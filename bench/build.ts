/**
 * Added build time of faultline/tsc: a real `tspc` build of 120 generated job
 * modules with the plugin (tsconfig.test.json) against the same build without
 * it (tsconfig.json), measured in the same run. Goal: ≤ 1.3×.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installFaultline, repo } from '../support/package.js';
import { type Figure, medianMs } from './figures.js';

const MODULES = 120;
const ROUNDS = 5;

/** One job module: a class, an enum, branches, async code and type-only imports, like real job code. */
function jobModule(i: number): string {
  return `import type { Ledger } from '../lib/types.js';
import { record } from '../lib/ledger.js';

export enum Status${i} { Pending = 'pending', Done = 'done' }

export interface Job${i}Data { account: string; cents: number; retries?: number }

export class Worker${i} {
  private done = 0;
  constructor(private readonly ledger: Ledger) {}

  async perform(data: Job${i}Data): Promise<Status${i}> {
    if (data.cents <= 0) return Status${i}.Done;
    const fee = Math.round(data.cents * 0.0${(i % 9) + 1});
    for (let attempt = 0; attempt < (data.retries ?? 1); attempt++) {
      await Promise.resolve();
      record(this.ledger, data.account, -(data.cents + fee));
    }
    this.done++;
    return this.done > 1 ? Status${i}.Done : Status${i}.Pending;
  }
}

export const job${i} = async (data: Job${i}Data, ledger: Ledger) => new Worker${i}(ledger).perform(data);
`;
}

function generateProject(dir: string): void {
  mkdirSync(join(dir, 'src/jobs'), { recursive: true });
  mkdirSync(join(dir, 'src/lib'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench-build', private: true, type: 'module' }));
  writeFileSync(join(dir, 'src/lib/types.ts'), 'export interface Ledger { entries: [string, number][] }\n');
  writeFileSync(
    join(dir, 'src/lib/ledger.ts'),
    "import type { Ledger } from './types.js';\nexport function record(ledger: Ledger, account: string, cents: number): void {\n  ledger.entries.push([account, cents]);\n}\n",
  );
  for (let i = 0; i < MODULES; i++) writeFileSync(join(dir, `src/jobs/job${i}.ts`), jobModule(i));
  const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: [], rootDir: 'src', outDir: 'dist', sourceMap: true, declaration: true, skipLibCheck: true };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }));
  writeFileSync(
    join(dir, 'tsconfig.test.json'),
    JSON.stringify({ extends: './tsconfig.json', compilerOptions: { outDir: 'dist-test', plugins: [{ transform: 'faultline/tsc', include: ['src/jobs/**'] }] } }),
  );
}

/** Runs the benchmark: the ratio of build times with / without the plugin. */
export async function benchBuild(): Promise<Figure[]> {
  mkdirSync(join(repo, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(repo, '.tmp', 'bench-build-'));
  try {
    generateProject(dir);
    await installFaultline(dir);
    const tspc = join(repo, 'node_modules/.bin/tspc');
    const run = (project: string) => () => {
      const result = spawnSync(tspc, ['-p', project], { cwd: dir, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`tspc -p ${project} failed:\n${result.stdout}${result.stderr}`);
    };
    // Warm ts-patch's patched-compiler cache and the file system once for each.
    run('tsconfig.json')();
    run('tsconfig.test.json')();
    // Interleaved, so load from elsewhere on a shared machine hits both sides alike.
    const withoutTimes: number[] = [];
    const withTimes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      withoutTimes.push(await medianMs(1, run('tsconfig.json')));
      withTimes.push(await medianMs(1, run('tsconfig.test.json')));
    }
    const median = (times: number[]) => times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
    const without = median(withoutTimes);
    const withPlugin = median(withTimes);
    return [
      {
        group: 'build',
        name: `tspc build of ${MODULES} job modules with faultline/tsc`,
        ratio: withPlugin / without,
        baseline: 'the same tspc build without the plugin',
        goal: { op: '<=', value: 1.3 },
        detail: { 'with plugin ms': withPlugin, 'without ms': without, modules: MODULES, rounds: ROUNDS },
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
