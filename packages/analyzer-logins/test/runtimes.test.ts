// The analyzer (web-standard globals) and its snapshot file store (node:fs) under each runtime
// the README names: Node here through tsx, Bun and Deno on the TypeScript sources.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findBun, findDeno } from '../../../scripts/runtimes.mjs'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const script = 'packages/analyzer-logins/test/fixtures/runtime-smoke.ts'
const expected = {
  alerts: ["alice has not logged into db-7 in 28 days of history (no other user does); 04:00 (Europe/Zurich) is outside alice's usual hours 10:00–19:00"],
  users: 1,
}

const runtimes: [string, () => { command: string; args: string[] } | string][] = [
  ['Node', () => ({ command: process.execPath, args: ['--import', 'tsx', script] })],
  ['Bun', () => {
    const b = findBun()
    return b.found ? { command: b.path, args: [script] } : b.reason
  }],
  ['Deno', () => {
    const d = findDeno()
    return d.found ? { command: d.path, args: ['run', '-A', script] } : d.reason
  }],
]

for (const [name, find] of runtimes) {
  const how = find()
  const required = name === 'Node' || process.env.CI === 'true'
  if (typeof how === 'string') {
    if (required) test(`learns, alerts, saves and restores under ${name}`, () => assert.fail(how))
    else test(`learns, alerts, saves and restores under ${name}`, { skip: `${name} not found: ${how}` })
    continue
  }
  test(`learns, alerts, saves and restores under ${name}`, { timeout: 60_000 }, () => {
    const snapshot = join(mkdtempSync(join(tmpdir(), 'beer-logins-runtime-')), 'logins-{instance}.json')
    const r = spawnSync(how.command, [...how.args, snapshot], { cwd: root, encoding: 'utf8' })
    assert.equal(r.status, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').at(-1)!), expected)
  })
}
