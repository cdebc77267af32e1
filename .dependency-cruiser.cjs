/**
 * The rooms' boundaries (docs/architecture.md), checked by
 * test/architecture/boundaries.test.ts inside `npm test`. A violation names
 * its rule; each rule's comment says why the arrow points one way.
 *
 * Paths are relative to the repository root. Node built-ins and npm packages
 * are never a project room, so rules list the project paths a room may reach
 * and forbid every other project path.
 */

/** Every room and top-level file of the project (not node_modules, not a scoped package name). */
const PROJECT = '^(?!node_modules/|@)[^/:]+(/|[.][cm]?[jt]s$)';

/** Dependency types that are never a project module: Node built-ins and npm packages. */
const OUTSIDE = ['core', 'npm', 'npm-dev', 'npm-peer', 'npm-optional', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'];

/**
 * A rule forbidding `from` to import any project module outside `allowed`.
 * @param {string} name what a violation is reported as
 * @param {string} comment why
 * @param {string} from regex of the importing files
 * @param {string[]} allowed regexes of the project modules they may import
 * @param {string[]} [allowedTypes] dependency types allowed whatever they reach, e.g. imports by package name
 */
function onlyImports(name, comment, from, allowed, allowedTypes = []) {
  return { name, comment, severity: 'error', from: { path: from }, to: { path: PROJECT, pathNot: allowed, dependencyTypesNot: [...OUTSIDE, ...allowedTypes] } };
}

/**
 * Temporary exceptions: imports that cross a boundary today and that another
 * part of issue 14 is removing. Each names exactly one file pair; the file's
 * other imports stay checked by the rule. Delete an entry when its import is gone.
 */
const EXCEPTIONS = [
  {
    name: 'compat-driver-workflow-reexports',
    comment: 'faultline/bullmq and faultline/pg-boss shipped workflowJob before it moved to faultline/workflow; they re-export it (deprecated) so existing imports keep working. Remove with the next major version.',
    rule: 'runtime-on-core',
    from: '^runtime/harness/drivers/(bullmq|pg-boss)[.]ts$',
    to: '^workflow/(queue-job|step)[.]ts$',
  },
];

/** The package's entry points as fixtures and the demo import them: `faultline`, `faultline/workflow`, … through tsconfig `paths` (Vitest aliases the same names). */
const ENTRY_POINT = ['aliased-tsconfig-paths'];

const RULES = [
  onlyImports(
    'core-imports-nothing',
    'core/ is the vocabulary every room shares (protocol, KINDS, duration, paths, errors): it imports nothing of the project, so no room can pull another in through it.',
    '^core/',
    ['^core/'],
  ),
  onlyImports(
    'transformer-on-core',
    'The transformer runs at build time in users\' bundlers: it knows the probe protocol (core/) and itself, never the runtime that later answers the probes.',
    '^transformer/',
    ['^core/', '^transformer/'],
  ),
  onlyImports(
    'runtime-on-core',
    'The runtime (probe host, harness, drivers) ships in users\' processes: core/ and itself only; workflow/ is a separate entry point it must not drag in.',
    '^runtime/',
    ['^core/', '^runtime/'],
  ),
  onlyImports(
    'workflow-on-core',
    'The workflow engine is production code independent of the chaos harness: core/ and itself only.',
    '^workflow/',
    ['^core/', '^workflow/'],
  ),
  onlyImports(
    'report-reads-runtime-index',
    'The HTML report renders the report JSON whose types the runtime publishes: core/, itself and runtime/index.ts (the `faultline` barrel), never runtime internals.',
    '^report/',
    ['^core/', '^report/', '^runtime/index[.]ts$'],
  ),
  onlyImports(
    'cli-uses-public-indexes',
    'The CLI is a user of the library like any other: core/, itself, and the public indexes of workflow/ and report/.',
    '^cli/',
    ['^core/', '^cli/', '^workflow/index[.]ts$', '^report/index[.]ts$'],
  ),
  onlyImports(
    'demo-uses-entry-points',
    'The demo is what a user would write: faultline\'s entry points by package name, the report library\'s index, and the fixture jobs it demonstrates.',
    '^demo/',
    ['^demo/', '^fixtures/', '^report/index[.]ts$'],
    ENTRY_POINT,
  ),
  onlyImports(
    'fixtures-use-entry-points',
    'Fixtures are user code the README shows: they import faultline by its entry points (`faultline`, `faultline/workflow`, …) so every snippet is pasteable, never a relative path into a room.',
    '^fixtures/',
    ['^fixtures/'],
    ENTRY_POINT,
  ),
  {
    name: 'bench-not-test',
    comment: 'Benchmarks share code with the tests only through support/; an import of test/ would make the bench depend on test-only setup.',
    severity: 'error',
    from: { path: '^bench/' },
    to: { path: '^test/' },
  },
  {
    name: 'test-not-bench',
    comment: 'Tests share code with the benchmarks only through support/.',
    severity: 'error',
    from: { path: '^test/' },
    to: { path: '^bench/' },
  },
  {
    name: 'support-is-shared',
    comment: 'support/ is what bench/ and test/ share: it may import the product, never either of its two users.',
    severity: 'error',
    from: { path: '^support/' },
    to: { path: '^(test|bench)/' },
  },
];

/**
 * Applies EXCEPTIONS: the excepted file leaves its rule, and a copy of the
 * rule (same name, so a violation still names it) checks that file with the
 * one extra target allowed.
 */
function withExceptions(rules) {
  return rules.flatMap((rule) => {
    const mine = EXCEPTIONS.filter((exception) => exception.rule === rule.name);
    if (mine.length === 0) return [rule];
    const excepted = mine.map((exception) => exception.from);
    const main = { ...rule, from: { ...rule.from, pathNot: excepted } };
    const copies = mine.map((exception) => ({
      ...rule,
      comment: `${rule.comment} (temporary exception ${exception.name}: ${exception.comment})`,
      from: { path: exception.from },
      to: { ...rule.to, pathNot: [...rule.to.pathNot, exception.to] },
    }));
    return [main, ...copies];
  });
}

for (const exception of EXCEPTIONS) {
  if (!RULES.some((rule) => rule.name === exception.rule)) throw new Error(`exception ${exception.name} names no rule: ${exception.rule}`);
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: withExceptions(RULES),
  options: {
    doNotFollow: { path: 'node_modules' },
    // Separate projects (fixtures/projects), syntax samples (fixtures/corpus), build and test output and dot-directories (.tmp, .git, .faultline) are not rooms.
    exclude: { path: '^(node_modules|dist|coverage|test-results|[.][^/]+|fixtures/(corpus|projects))/' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports cross boundaries too.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.cjs', '.mjs'],
    },
  },
};
