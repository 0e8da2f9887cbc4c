import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['.dependency-cruiser.cjs', 'dist/**', 'data/**', 'coverage/**', 'openapi/**', '.tmp/**'] }),
  {
    // Lake columns and API bodies are snake_case by design (they are the parquet column names).
    rules: { camelcase: 'off' },
  },
]
