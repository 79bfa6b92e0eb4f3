import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Baseline, parseDuration } from '../src/baseline.ts'

const T0 = Date.parse('2026-09-07T09:00:00.000Z') // a Monday
const H = 3_600_000
const D = 86_400_000

const hasCode = (code: string) => (err: unknown) => (err as { code?: string }).code === code

describe('Baseline', () => {
  it('counts values per dimension, hours and days, and answers rarity questions', () => {
    const b = new Baseline({ dimensions: ['share', 'site'] })
    for (let i = 0; i < 9; i++) b.observe('alice', T0 + i * D, ['finance', 'zrh'])
    b.observe('alice', T0 + 9 * D + 5 * H, ['hr', undefined])
    const p = b.get('alice')!
    assert.equal(p.count, 10)
    assert.equal(p.valueWeight('share', 'finance'), 9)
    assert.equal(p.share('share', 'hr'), 0.1)
    assert.equal(p.share(1, 'zrh'), 1, 'only observations with a value count toward the share')
    assert.equal(p.dimWeight('site'), 9)
    assert.equal(p.has('share', 'legal'), false)
    assert.equal(p.hourWeight(9), 9)
    assert.equal(p.hourWeight(14), 1)
    assert.deepEqual(p.days().map(Math.round), [1, 2, 2, 2, 1, 1, 1])
    assert.deepEqual(p.seen('share', 'hr'), { first: T0 + 9 * D + 5 * H, last: T0 + 9 * D + 5 * H })
    assert.deepEqual(
      p.values('share').map((v) => [v.value, v.weight]),
      [
        ['finance', 9],
        ['hr', 1],
      ],
    )
    assert.equal(b.observe('bob', T0, { share: 'finance', site: 'ber' }).valueWeight('site', 'ber'), 1, 'values by name work too')
  })

  it('lets old observations fade by the half-life, whatever order they arrive in', () => {
    const opts = { dimensions: ['door'], halfLife: '10d' }
    const times = [0, 3, 7, 10, 20, 21, 40].map((d) => T0 + d * D)
    const inOrder = new Baseline(opts)
    for (const t of times) inOrder.observe('badge-7', t, ['lab'])
    const shuffled = new Baseline(opts)
    for (const t of [times[4]!, times[0]!, times[6]!, times[2]!, times[1]!, times[5]!, times[3]!]) shuffled.observe('badge-7', t, ['lab'])
    const at = T0 + 40 * D
    const a = inOrder.get('badge-7')!
    assert.ok(Math.abs(a.weight(at) - shuffled.get('badge-7')!.weight(at)) < 1e-9)
    // 2^-4 + 2^-3.7 + 2^-3.3 + 2^-3 + 2^-2 + 2^-1.9 + 1
    const expected = [40, 37, 33, 30, 20, 19, 0].reduce((s, age) => s + 2 ** (-age / 10), 0)
    assert.ok(Math.abs(a.weight(at) - expected) < 1e-9, `${a.weight(at)} vs ${expected}`)
    assert.ok(Math.abs(a.weight(at + 10 * D) - expected / 2) < 1e-9, 'ten more days halve it')
    // Weights far beyond 2^64 of the reference move it forward without changing the answers.
    const far = new Baseline(opts)
    far.observe('x', T0, ['a'])
    far.observe('x', T0 + 800 * D, ['b'])
    assert.ok(Math.abs(far.get('x')!.share('door', 'b') - 1 / (1 + 2 ** -80)) < 1e-12)
  })

  it('learns an entity after a time and a number of observations, both or either', () => {
    const both = new Baseline({ dimensions: ['x'], learnFor: '14d', learnCount: 5 })
    assert.equal(both.state('alice', T0), 'unknown')
    for (let i = 0; i < 3; i++) both.observe('alice', T0 + i * D, ['a'])
    assert.equal(both.state('alice', T0 + 20 * D), 'learning', 'time alone is not enough')
    for (let i = 0; i < 3; i++) both.observe('alice', T0 + (3 + i) * D, ['a'])
    assert.equal(both.state('alice', T0 + 13 * D), 'learning')
    assert.equal(both.state('alice', T0 + 14 * D), 'learned')
    const either = new Baseline({ dimensions: ['x'], learnFor: '14d', learnCount: 5, learnWhen: 'either' })
    for (let i = 0; i < 5; i++) either.observe('bob', T0 + i * H, ['a'])
    assert.equal(either.state('bob', T0 + 5 * H), 'learned')
    assert.equal(either.systemState(T0 + 13 * D), 'learning')
    assert.equal(either.systemState(T0 + 14 * D), 'learned', 'the system learns for learnFor by default')
  })

  it('keeps at most maxValues per dimension, displacing the least used, and counts values across entities', () => {
    const b = new Baseline({ dimensions: ['server', 'ip'], maxValues: { ip: 2 }, population: ['server'] })
    b.observe('alice', T0, ['web', '192.0.2.1'])
    b.observe('alice', T0 + H, ['web', '192.0.2.1'])
    b.observe('alice', T0 + 2 * H, ['db', '192.0.2.2'])
    b.observe('alice', T0 + 3 * H, ['db', '192.0.2.3'])
    const p = b.get('alice')!
    assert.deepEqual(p.values('ip').map((v) => v.value), ['192.0.2.1', '192.0.2.3'])
    b.observe('bob', T0, ['web', '192.0.2.9'])
    assert.equal(b.population('server', 'web'), 2)
    assert.equal(b.population('server', 'db'), 1)
    assert.equal(b.population('server', 'mail'), 0)
    assert.equal(b.population('ip', '192.0.2.1'), undefined, 'only dimensions listed in population are counted')
    assert.equal(b.forget('alice'), true)
    assert.equal(b.population('server', 'web'), 1)
    assert.equal(b.population('server', 'db'), 0)
    assert.equal(b.size, 1)
  })

  it('estimates how often an entity tries values it never had', () => {
    const b = new Baseline({ dimensions: ['server'] })
    for (let i = 0; i < 18; i++) b.observe('steady', T0 + i * H, ['web'])
    b.observe('steady', T0 + 20 * H, ['db'])
    b.observe('steady', T0 + 21 * H, ['db'])
    const p = b.get('steady')!
    assert.equal(p.novelty('server'), 0)
    assert.equal(p.novelty('server', undefined, 2), 0.1)
    assert.equal(p.novelty('server', (v) => v !== 'db', 2), 0)
  })

  it('reads hours and days in its time zone, daylight-saving time included', () => {
    const b = new Baseline({ dimensions: [], timeZone: 'Europe/Zurich' })
    assert.deepEqual(b.local(Date.parse('2026-07-01T06:30:00Z')), { hour: 8, minute: 30, day: 3 })
    assert.deepEqual(b.local(Date.parse('2026-12-01T06:30:00Z')), { hour: 7, minute: 30, day: 2 })
    assert.deepEqual(b.local(Date.parse('2026-03-29T00:59:00Z')), { hour: 1, minute: 59, day: 0 })
    assert.deepEqual(b.local(Date.parse('2026-03-29T01:00:00Z')), { hour: 3, minute: 0, day: 0 })
    const fixed = new Baseline({ dimensions: [], timeZone: '-05:30' })
    assert.deepEqual(fixed.local(Date.parse('2026-01-01T02:00:00Z')), { hour: 20, minute: 30, day: 3 })
  })

  it('exports entities as plain data and imports them again', () => {
    const b = new Baseline({ dimensions: ['server'], halfLife: '30d', population: ['server'] })
    for (let i = 0; i < 5; i++) b.observe('alice', T0 + i * 7 * D, [i % 2 ? 'web' : 'db'])
    b.observe('bob', T0, ['web'])
    const data = JSON.parse(JSON.stringify(b.exportEntity('alice')))
    const c = new Baseline({ dimensions: ['server'], halfLife: '30d', population: ['server'] })
    c.importEntity('alice', data)
    c.importSystem(JSON.parse(JSON.stringify(b.system)))
    const at = T0 + 40 * D
    // Weights are saved to 1/1,000 of an observation, times of values to the second.
    assert.ok(Math.abs(c.get('alice')!.weight(at) - b.get('alice')!.weight(at)) < 1e-3)
    const round = (list: { value: string; weight: number; share: number }[]) => list.map((v) => [v.value, v.weight.toFixed(3), v.share.toFixed(3)])
    assert.deepEqual(round(c.get('alice')!.values('server', at)), round(b.get('alice')!.values('server', at)))
    assert.equal(c.population('server', 'db'), 1)
    assert.equal(c.systemState(T0 + 14 * D), b.systemState(T0 + 14 * D))
    assert.throws(() => c.importEntity('eve', [1, 2, 3]), hasCode('BEER_ERR_BASELINE_DATA'))
    const bad = structuredClone(data)
    bad[5][0][1] = ['x']
    assert.throws(() => c.importEntity('eve', bad), hasCode('BEER_ERR_BASELINE_DATA'))
    assert.equal(c.get('eve'), undefined)
  })

  it('refuses options it cannot use, naming them', () => {
    assert.throws(() => new Baseline({ dimensions: ['a', 'a'] }), /given twice/)
    assert.throws(() => new Baseline({ dimensions: ['a'], timeZone: 'Mars/Olympus' }), hasCode('BEER_ERR_BASELINE_OPTIONS'))
    assert.throws(() => new Baseline({ dimensions: ['a'], halfLife: 'soon' }), /halfLife/)
    assert.throws(() => new Baseline({ dimensions: ['a'], population: ['b'] }), /population/)
    assert.throws(() => new Baseline({ dimensions: ['a'], maxValues: 0 }), /maxValues/)
    assert.equal(parseDuration('14d'), 14 * D)
    assert.equal(parseDuration('90s'), 90_000)
    assert.equal(parseDuration(250), 250)
    assert.equal(parseDuration('2 weeks'), undefined)
  })
})
