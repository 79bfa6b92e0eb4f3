import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { findBun, findDeno } from '../../../scripts/runtimes.mjs'

const script = fileURLToPath(new URL('./fixtures/portable-run.ts', import.meta.url))
const cwd = fileURLToPath(new URL('../../../', import.meta.url))

function runWith(command: string, args: string[]): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 60_000 })
  assert.equal(r.status, 0, r.stderr)
  return r.stdout.trim()
}

describe('runtimes', () => {
  const expected = runWith(process.execPath, ['--import', 'tsx', script])
  it('raises the same alerts on Node', () => {
    assert.deepEqual(JSON.parse(expected).map((a: string[]) => a[1]), ['failed-logins-then-success-user', 'alerts-from-several-products'])
  })
  for (const [name, found, args] of [
    ['Bun', findBun(), [script]],
    ['Deno', findDeno(), ['run', '-A', script]],
  ] as const) {
    it(`raises the same alerts, with the same ids, on ${name}`, { skip: found.found ? false : `${name} not found: ${!found.found ? found.reason : ''}` }, () => {
      assert.equal(runWith((found as { path: string }).path, [...args]), expected)
    })
  }
})
