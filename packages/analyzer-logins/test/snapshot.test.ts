import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Analyzer, LogEvent, ModuleContext } from '@beer/core'
import type { LoginsOptions, LoginsStatus } from '../src/index.ts'
import { create } from '../src/logins.ts'

const H = 3_600_000
const D = 86_400_000
const MONDAY = Date.parse('2026-09-07T00:00:00.000Z')

type Live = Analyzer & { command(name: string, args?: unknown): unknown; flush(): Promise<void>; close(): Promise<void> }

const dir = (): string => mkdtempSync(join(tmpdir(), 'beer-logins-'))

async function build(options: LoginsOptions, instance = 0): Promise<{ a: Live; warnings: string[]; alerts: LogEvent[] }> {
  const warnings: string[] = []
  const alerts: LogEvent[] = []
  const context: ModuleContext = {
    name: 'logins',
    instance,
    log: { info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    emit: (e) => alerts.push(e),
  }
  return { a: (await create(options, context)) as Live, warnings, alerts }
}

function login(user: string, at: number, server: string): LogEvent {
  return {
    '@timestamp': new Date(at).toISOString(),
    event: { category: ['authentication'], type: ['start'], action: 'logged-in', outcome: 'success' },
    user: { name: user },
    host: { name: server },
    source: { ip: '192.0.2.10', geo: { country_iso_code: 'CH' } },
  }
}

function teach(a: Analyzer, users: string[], days: number): void {
  for (let d = 0; d < days; d++) for (const u of users) for (const h of [9, 13, 17]) a.analyze(login(u, MONDAY + d * D + h * H, 'web-1'))
}

describe('logins snapshots', () => {
  it('saves profiles when stopping and restores them at start, per instance', async () => {
    const folder = dir()
    const snapshot = join(folder, 'logins-{instance}.json')
    const first = await build({ snapshot, lateness: '10m' }, 1)
    teach(first.a, ['alice', 'bob'], 20)
    // Still waiting within the lateness when stopping: saved too.
    first.a.analyze(login('alice', MONDAY + 19 * D + 17 * H + 60_000, 'web-2'))
    const before = first.a.command('profile', 'alice') as Record<string, unknown>
    await first.a.close()
    const file = join(folder, 'logins-1.json')
    assert.ok(existsSync(file))
    assert.equal(statSync(file).mode & 0o777, 0o600, 'profiles are nobody else\'s to read')
    assert.deepEqual(readdirSync(folder), ['logins-1.json'], 'no temporary file left behind')

    const second = await build({ snapshot, lateness: '10m' }, 1)
    assert.deepEqual(second.warnings, [])
    const status = second.a.command('status') as LoginsStatus
    assert.equal(status.users, 2)
    assert.equal(status.pending, 3, "the last ten minutes' logins")
    assert.equal(status.logins, 121, 'counters survive too')
    assert.equal(status.snapshot?.restoredUsers, 2)
    // Weights are saved to 1/1,000 of a login: the same profile, to a tenth.
    const tenths = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_, v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v)))
    assert.deepEqual(tenths(second.a.command('profile', 'alice')), tenths(before))
    // What was learned before the restart still judges: bob is learned, and db-9 is new to him.
    second.a.analyze(login('bob', MONDAY + 21 * D + 10 * H, 'db-9'))
    assert.equal(second.alerts.length, 1)
    await second.a.close()
    // Another instance has a file of its own.
    const other = await build({ snapshot, lateness: '10m' }, 0)
    assert.equal((other.a.command('status') as LoginsStatus).users, 0)
    await other.a.close()
  })

  it('saves on flush and on its timer only when something changed', async () => {
    const folder = dir()
    const snapshot = join(folder, 'logins.json')
    const { a } = await build({ snapshot, snapshotEvery: 50, lateness: 0 })
    teach(a, ['alice'], 2)
    await new Promise((r) => setTimeout(r, 150))
    assert.ok(existsSync(snapshot), 'saved by the timer')
    const saved = (a.command('status') as LoginsStatus).snapshot!
    assert.equal(saved.users, 1)
    assert.ok(saved.savedAt !== null && saved.ms !== null)
    const mtime = statSync(snapshot).mtimeMs
    await a.flush()
    assert.equal(statSync(snapshot).mtimeMs, mtime, 'nothing changed: not written again')
    teach(a, ['bob'], 1)
    await a.flush()
    assert.equal((a.command('status') as LoginsStatus).snapshot!.users, 2)
    await a.close()
  })

  it('starts empty, with a warning, from a snapshot it cannot read, and keeps the bad file aside', async () => {
    for (const [what, text] of [
      ['not JSON', '{"format":"beer-logins",'],
      ['another format', '{"format":"beer-identity","version":1}\n'],
      ['cut short', null],
      ['a bad profile', null],
    ] as const) {
      const folder = dir()
      const snapshot = join(folder, 'logins.json')
      if (text !== null) writeFileSync(snapshot, text)
      else {
        const { a } = await build({ snapshot, lateness: 0 })
        teach(a, ['alice', 'bob'], 3)
        await a.close()
        const lines = readFileSync(snapshot, 'utf8').trimEnd().split('\n')
        if (what === 'cut short') writeFileSync(snapshot, lines.slice(0, -2).join('\n') + '\n')
        else writeFileSync(snapshot, [lines[0], '["alice",[1,2,3]]', ...lines.slice(2)].join('\n'))
      }
      const { a, warnings } = await build({ snapshot, lateness: 0 })
      assert.equal(warnings.length, 1, what)
      assert.match(warnings[0]!, /starting with no profiles; the file was moved to .*logins\.json\.corrupt-/, what)
      const status = a.command('status') as LoginsStatus
      assert.equal(status.users, 0, what)
      assert.match(status.snapshot!.error ?? '', /^BEER_ERR_LOGINS_SNAPSHOT: /, what)
      assert.ok(readdirSync(folder).some((f) => f.startsWith('logins.json.corrupt-')), what)
      // It goes on learning and saving.
      teach(a, ['carol'], 1)
      await a.close()
      assert.match(readFileSync(snapshot, 'utf8'), /"carol"/, what)
    }
  })

  it('reports a snapshot it cannot write, and keeps the profiles', async () => {
    const folder = dir()
    writeFileSync(join(folder, 'file'), 'in the way')
    const { a, warnings } = await build({ snapshot: join(folder, 'file', 'logins.json'), lateness: 0 })
    teach(a, ['alice'], 1)
    await a.flush()
    assert.match(warnings[0] ?? '', /cannot read the login profiles from .*ENOTDIR.*; starting with no profiles$/)
    assert.match(warnings[1] ?? '', /cannot save the login profiles/)
    const status = a.command('status') as LoginsStatus
    assert.match(status.snapshot!.error ?? '', /BEER_ERR_LOGINS_SNAPSHOT/)
    assert.equal(status.users, 1)
    await a.close()
  })

  it('refuses a snapshot store module it cannot load', async () => {
    await assert.rejects(build({ snapshotStore: 'file:///nowhere/store.js' }), (err: { code?: string }) => err.code === 'BEER_ERR_LOGINS_SNAPSHOT')
  })
})
