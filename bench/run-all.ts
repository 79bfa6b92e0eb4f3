// Runs every benchmark in turn, each in its own process so one's memory does not colour the next.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'

const only = process.argv.slice(2)
const files = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
let failed = 0
for (const f of files) {
  console.log(`\n=== ${f} ===`)
  const r = spawnSync(process.execPath, ['--import', 'tsx', f], {
    cwd: new URL('.', import.meta.url),
    stdio: 'inherit',
  })
  if (r.status !== 0) failed++
}
process.exit(failed ? 1 : 0)
