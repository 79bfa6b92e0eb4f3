// The one test command: every package's and example's test files in one node:test run, so one
// summary ends the output. Arguments filter by path substring (`npm test -- sink-file`).
import { spawnSync } from 'node:child_process'
import { readdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const filters = process.argv.slice(2)
const files = []
for (const group of ['packages', 'examples', 'scripts']) {
  const base = join(root, group)
  if (!existsSync(base)) continue
  const dirs = group === 'scripts' ? [''] : readdirSync(base)
  for (const dir of dirs) {
    const testDir = join(base, dir, 'test')
    if (!existsSync(testDir)) continue
    for (const f of readdirSync(testDir).sort()) {
      if (f.endsWith('.test.ts')) files.push(join(testDir, f))
    }
  }
}
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files
if (!existsSync(join(root, '../shared/corpus'))) {
  console.log('notice: ../shared/corpus is absent: corpus agreement tests will skip (they run in CI).')
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...selected],
  { stdio: 'inherit', cwd: root },
)
process.exit(r.status ?? 1)
