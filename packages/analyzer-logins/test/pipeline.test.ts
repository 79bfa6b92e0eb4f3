// The analyzer in the real runtime: two worker threads partitioned by user.name, alerts routed
// to the sinks with the ids of their causes, commands answered by every instance, and profiles
// that survive a restart of the pipeline.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPipeline } from '@beer/pipeline'
import type { Pipeline } from '@beer/pipeline'
import type { LogEvent } from '@beer/core'
import { logins } from '../src/index.ts'
import type { LoginAlert, LoginsStatus } from '../src/index.ts'
import { asIs, memory, stored } from './fixtures/modules.ts'
import { scenario } from './fixtures/scenario.ts'

const preload = [new URL('./fixtures/register-tsx.mjs', import.meta.url).href]
const quiet = (): { info(): void; warn(): void; error(): void } => ({ info() {}, warn() {}, error() {} })

function pipeline(folder: string): Pipeline {
  return createPipeline({
    preload,
    logger: quiet,
    parsers: [{ descriptor: asIs() }],
    analyzers: [
      {
        descriptor: logins({ snapshot: join(folder, 'logins-{instance}.json'), lateness: '2m' }),
        placement: { run: 'worker', instances: 2, partitionBy: 'user.name' },
      },
    ],
    sinks: [{ descriptor: memory() }],
  })
}

async function feed(p: Pipeline, events: LogEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 500) {
    const r = p.push(events.slice(i, i + 500))
    if (r) await r
  }
}

async function until(what: string, ms: number, ok: () => boolean): Promise<void> {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('logins in the pipeline', () => {
  it('runs as two instances partitioned by user, each user on one, alerts pointing at their causes', { timeout: 120_000 }, async () => {
    const folder = mkdtempSync(join(tmpdir(), 'beer-logins-pipeline-'))
    const s = scenario({ seed: 3, users: 80, days: 35, planted: 5, disorder: 30 })
    const p = pipeline(folder)
    await p.start()
    await feed(p, s.events)
    await until('every event in the sink', 60_000, () => stored.filter((e) => e.event?.kind !== 'alert').length === s.events.length)

    const answers = await p.command('status', undefined, 'logins')
    assert.deepEqual(answers.map((a) => a.module).sort(), ['logins[0]', 'logins[1]'])
    const statuses = answers.map((a) => a.answer as LoginsStatus)
    const users = new Set(s.events.map((e) => (e.user as { name: string }).name))
    assert.equal(statuses[0]!.users + statuses[1]!.users, users.size)
    assert.ok(statuses.every((x) => x.users > 10), 'users spread over both instances')

    // Each user's profile lives on exactly one instance.
    for (const user of [...users].slice(0, 12)) {
      const found = (await p.command('profile', user, 'logins')).filter((a) => (a.answer as { found: boolean }).found)
      assert.equal(found.length, 1, user)
    }

    const alerts = stored.filter((e): e is LoginAlert => e.event?.kind === 'alert')
    assert.equal(alerts.length, statuses[0]!.alerts + statuses[1]!.alerts)
    const byId = new Map(stored.filter((e) => e.event?.id !== undefined).map((e) => [e.event!.id!, e]))
    const hit = new Set<string>()
    for (const alert of alerts) {
      assert.equal(alert.beer.emitter, 'logins')
      assert.equal(alert.beer.hops, 1)
      assert.equal(alert.beer.causes?.length, 1)
      const cause = byId.get(alert.beer.causes![0]!)
      assert.ok(cause, 'the cause was stored with the id the alert names')
      assert.equal((cause!.user as { name: string }).name, alert.user.name)
      assert.equal(cause!['@timestamp'], alert['@timestamp'])
      if (s.planted.some((x) => x.at === cause!['@timestamp'] && x.user === alert.user.name)) hit.add(`${alert.user.name} ${alert['@timestamp']}`)
    }
    const recall = hit.size / s.planted.length
    console.log(`two instances: ${alerts.length} alerts for ${s.logins} logins, ${hit.size} of ${s.planted.length} planted anomalies found`)
    assert.ok(recall >= 0.95, `recall ${recall}`)
    await p.stop()
    assert.ok(existsSync(join(folder, 'logins-0.json')) && existsSync(join(folder, 'logins-1.json')), 'each instance saved its own snapshot')

    // Started again, each instance has its users back.
    const again = pipeline(folder)
    await again.start()
    const restored = (await again.command('status', undefined, 'logins')).map((a) => a.answer as LoginsStatus)
    assert.deepEqual(
      restored.map((x) => x.users).sort(),
      statuses.map((x) => x.users).sort(),
    )
    await again.stop()
  })
})
