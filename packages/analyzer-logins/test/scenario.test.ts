// Precision and recall on the synthetic scenario (test/fixtures/scenario.ts): seven weeks of
// 300 users, arriving up to a minute out of order, with 80 planted anomalies.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { LogEvent, ModuleContext } from '@beer/core'
import type { LoginAlert } from '../src/index.ts'
import { create } from '../src/logins.ts'
import { isLogin, scenario } from './fixtures/scenario.ts'
import type { PlantedKind } from './fixtures/scenario.ts'

const D = 86_400_000

describe('the logins analyzer on a scenario with planted anomalies', () => {
  it('generates the same stream from the same seed', () => {
    const a = scenario({ seed: 7, users: 20, days: 10, planted: 2 })
    const b = scenario({ seed: 7, users: 20, days: 10, planted: 2 })
    assert.deepEqual(a.events, b.events)
    assert.notDeepEqual(scenario({ seed: 8, users: 20, days: 10, planted: 2 }).events, a.events)
  })

  it('finds at least 95 % of planted anomalies, with at most 1 false alert per 10,000 logins after a 21-day learning', async () => {
    const s = scenario({ seed: 1, disorder: 60 })
    const found: { alert: LoginAlert; cause: LogEvent }[] = []
    const context: ModuleContext = {
      name: 'logins',
      instance: 0,
      log: { info() {}, warn() {}, error() {} },
      emit: (alert, causes) => found.push({ alert: alert as LoginAlert, cause: causes![0]! }),
    }
    const a = await create({ snapshot: false, learnFor: '21d' }, context)
    for (const e of s.events) a.analyze(e)

    const learnedAt = s.plantFrom
    const time = (e: LogEvent): number => Date.parse(e['@timestamp'] as string)
    const loginsAfterLearning = s.events.filter((e) => isLogin(e) && time(e) >= learnedAt).length
    const hit = new Set<LogEvent>()
    const byKind: Record<string, { planted: number; found: number; kindRight: number }> = {}
    for (const p of s.planted) byKind[p.kind] = { planted: (byKind[p.kind]?.planted ?? 0) + 1, found: 0, kindRight: 0 }
    let falseAfterLearning = 0
    const falses: string[] = []
    for (const { alert, cause } of found) {
      const planted = s.truth.get(cause)
      if (planted) {
        hit.add(cause)
        byKind[planted.kind]!.found++
        if (alert.beer.analyzer.logins.kind.includes(planted.kind as PlantedKind)) byKind[planted.kind]!.kindRight++
        continue
      }
      falses.push(`${alert['@timestamp']} ${alert.event.reason}`)
      if (time(cause) >= learnedAt) falseAfterLearning++
    }
    const recall = hit.size / s.planted.length
    const precision = (found.length - falses.length) / found.length
    const rate = (n: number, of: number): string => ((n / of) * 10_000).toFixed(2)
    console.log(
      [
        `scenario: ${s.users.length} users, 49 days, ${s.logins} logins (${loginsAfterLearning} after the 21-day learning), events up to 60 s out of order`,
        `alerts: ${found.length}, on planted logins: ${found.length - falses.length}, false: ${falses.length}`,
        `precision: ${(precision * 100).toFixed(1)} %   recall: ${(recall * 100).toFixed(1)} % (${hit.size} of ${s.planted.length})`,
        ...Object.entries(byKind).map(([k, v]) => `  ${k}: found ${v.found} of ${v.planted}, named as ${k} in ${v.kindRight}`),
        `false alerts per 10,000 logins after learning (day 21 on): ${rate(falseAfterLearning, loginsAfterLearning)} (${falseAfterLearning} of ${loginsAfterLearning})`,
        ...falses.map((f) => `  false: ${f}`),
      ].join('\n'),
    )
    assert.ok(recall >= 0.95, `recall ${recall}`)
    for (const [k, v] of Object.entries(byKind)) assert.ok(v.kindRight >= v.found * 0.95, `${k}: the alert names the planted anomaly`)
    assert.ok(falseAfterLearning / loginsAfterLearning <= 1 / 10_000, `false alert rate ${rate(falseAfterLearning, loginsAfterLearning)} per 10,000 after learning`)
  })
})
