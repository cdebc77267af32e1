/**
 * The rooms' boundaries (docs/architecture.md) as dependency-cruiser checks
 * them with .dependency-cruiser.cjs: the repository has no forbidden import,
 * and a tree of deliberately wrong imports fails with each rule's name.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const config = join(repo, '.dependency-cruiser.cjs');
const depcruise = join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation { rule: { name: string }; from: string; to: string }
interface Cruise { modules: { source: string }[]; summary: { violations: Violation[] } }

/** Runs dependency-cruiser over `cwd` with the repository's config; exit code 1 just means violations. */
async function cruise(cwd: string): Promise<Cruise> {
  const run = promisify(execFile)(process.execPath, [depcruise, '--config', config, '--output-type', 'json', '.'], { cwd, maxBuffer: 64 * 1024 * 1024 })
    .catch((error: { stdout?: string; stderr?: string }) => {
      if (!error.stdout) throw new Error(`dependency-cruiser failed: ${error.stderr}`);
      return { stdout: error.stdout };
    });
  return JSON.parse((await run).stdout) as Cruise;
}

const list = (violations: Violation[]) => violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();

describe('room boundaries', () => {
  it('no module of the repository imports across a boundary', async () => {
    const result = await cruise(repo);
    const sources = result.modules.map((m) => m.source);
    // The cruise saw every room (an empty cruise would pass vacuously).
    for (const file of ['transformer/instrument.ts', 'runtime/index.ts', 'workflow/index.ts', 'report/index.ts', 'cli/main.ts', 'demo/main.ts', 'fixtures/jobs/transfer.ts', 'bench/run.ts', 'support/services.ts', 'test/architecture/boundaries.test.ts']) {
      expect(sources).toContain(file);
    }
    expect(list(result.summary.violations), 'forbidden imports (rule: from → to)').toEqual([]);
  });

  describe('a deliberately wrong import fails with its rule name', () => {
    const tree = mkdtempSync(join(tmpdir(), 'faultline-boundaries-'));
    afterAll(() => rmSync(tree, { recursive: true, force: true }));
    const files: Record<string, string> = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', paths: { faultline: ['./runtime/index.ts'], 'faultline/workflow': ['./workflow/index.ts'] } } }),
      'core/kinds.ts': "import { host } from '../runtime/host.js';\nexport const kinds = [host];\n",
      'core/paths.ts': "export const sep = '/';\n",
      'core/protocol.ts': "export const GLOBAL = '__faultline';\n",
      'transformer/header.ts': "import { GLOBAL } from '../core/protocol.js';\nimport { host } from '../runtime/host.js';\nimport { sep } from '../core/paths.js';\nexport const header = [GLOBAL, host, sep];\n",
      'runtime/host.ts': "import { engine } from '../workflow/engine.js';\nexport const host = engine;\n",
      'runtime/index.ts': "export { host } from './host.js';\n",
      'workflow/engine.ts': "import { header } from '../transformer/header.js';\nexport const engine = header;\n",
      'workflow/index.ts': "export { engine } from './engine.js';\n",
      'report/render.ts': "import { host } from '../runtime/host.js';\nimport { host as ok } from '../runtime/index.js';\nexport const page = [host, ok];\n",
      'report/index.ts': "export { page } from './render.js';\n",
      'cli/run.ts': "import { engine } from '../workflow/engine.js';\nimport { engine as ok } from '../workflow/index.js';\nimport { page } from '../report/index.js';\nexport const run = [engine, ok, page];\n",
      'demo/main.ts': "import { run } from '../cli/run.js';\nimport { host } from 'faultline';\nimport { page } from '../report/index.js';\nexport const demo = [run, host, page];\n",
      'fixtures/jobs/job.ts': "import { host } from '../../runtime/index.js';\nimport { host as ok } from 'faultline';\nimport { engine } from 'faultline/workflow';\nexport const job = [host, ok, engine];\n",
      'support/services.ts': "import { setup } from '../test/support/setup.js';\nexport const start = setup;\n",
      'test/support/setup.ts': "import { bench } from '../../bench/run.js';\nimport { start } from '../../support/services.js';\nexport const setup = [bench, start];\n",
      'bench/run.ts': "import { setup } from '../test/support/setup.js';\nimport { start } from '../support/services.js';\nexport const bench = [setup, start];\n",
    };
    beforeAll(() => {
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(tree, path)), { recursive: true });
        writeFileSync(join(tree, path), text);
      }
    });

    it('names the rule, the importing file and the imported one — and nothing that is allowed', async () => {
      const result = await cruise(tree);
      expect(list(result.summary.violations)).toEqual([
        'bench-not-test: bench/run.ts → test/support/setup.ts',
        'cli-uses-public-indexes: cli/run.ts → workflow/engine.ts',
        'core-imports-nothing: core/kinds.ts → runtime/host.ts',
        'demo-uses-entry-points: demo/main.ts → cli/run.ts',
        'fixtures-use-entry-points: fixtures/jobs/job.ts → runtime/index.ts',
        'report-reads-runtime-index: report/render.ts → runtime/host.ts',
        'runtime-on-core: runtime/host.ts → workflow/engine.ts',
        'support-is-shared: support/services.ts → test/support/setup.ts',
        'test-not-bench: test/support/setup.ts → bench/run.ts',
        'transformer-on-core: transformer/header.ts → runtime/host.ts',
        'workflow-on-core: workflow/engine.ts → transformer/header.ts',
      ]);
    });
  });
});
