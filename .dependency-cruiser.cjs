/**
 * The house rules, checked by `npm run lint` (dependency-cruiser):
 * - no cycles;
 * - no stage imports another stage: what one stage needs of another is handed over by app.ts as a function;
 * - the shared rooms (lake/, http/, batch/, runs/, daily/) never import a stage: the Daily ETL calls stages by route.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes the order of module loading matter and hides who owns what.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-stage-to-stage',
      severity: 'error',
      comment: 'A stage never imports another stage; app.ts passes cross-stage needs in as functions.',
      from: { path: '^src/stages/([^/]+)/' },
      to: { path: '^src/stages/([^/]+)/', pathNot: '^src/stages/$1/' },
    },
    {
      name: 'shared-rooms-never-import-stages',
      severity: 'error',
      comment: 'lake/, http/, batch/, runs/ and daily/ serve every stage and know none of them (daily/ calls their routes).',
      from: { path: '^src/(lake|http|batch|runs|daily)/' },
      to: { path: '^src/stages/' },
    },
    {
      name: 'src-never-imports-tests-or-scripts',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
}
