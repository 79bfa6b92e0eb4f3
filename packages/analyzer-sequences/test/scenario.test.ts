import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { build } from './fixtures/harness.ts'
import { evaluate, scenario } from './fixtures/scenario.ts'

describe('scenario streams', () => {
  for (const seed of [42, 1234]) {
    it(`finds every planted sequence in three days of activity and nothing else (seed ${seed})`, async () => {
      const s = scenario({ days: 3, users: 200, seed })
      assert.ok(s.planted.length >= 15)
      const b = await build()
      await b.run(s.events)
      const r = evaluate(b.alerts, s.planted)
      console.log(
        `seed ${seed}: ${s.events.length} events, ${s.planted.length} planted, ${s.nearMisses.length} near-misses; ` +
          `${r.alerts} alerts: precision ${(r.precision * 100).toFixed(1)}%, recall ${(r.recall * 100).toFixed(1)}%, ${r.falsePositives.length} false, ${r.duplicates} duplicates`,
      )
      for (const [rule, row] of Object.entries(r.perRule)) console.log(`  ${rule}: planted ${row.planted}, found ${row.found}, alerts ${row.alerts}, false ${row.false}`)
      for (const fp of r.falsePositives) console.log(`  false: ${fp.message}`)
      for (const m of r.missed) console.log(`  missed: ${m.rule} ${m.entity} (${m.note})`)
      assert.deepEqual(r.missed, [], 'recall 100%')
      assert.deepEqual(r.falsePositives.map((a) => a.message), [], 'no false alerts')
      assert.equal(r.duplicates, 0)
      const named = b.alerts.flatMap((a) => Object.values((a.beer!.sequence as { key: Record<string, string | string[]> }).key).flat().map((v) => v.toLowerCase()))
      for (const n of s.nearMisses) assert.equal(named.includes(n.entity.toLowerCase()), false, `near-miss fired: ${n.kind} (${n.entity})`)
    })
  }
})
