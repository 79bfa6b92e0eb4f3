import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { LogEvent } from '@beer/core'
import type { Rule, SequencesStatus } from '../src/index.ts'
import { stateFile } from '../node/state-file.ts'
import { build, ev, failed, loggedIn } from './fixtures/harness.ts'
import { scenario } from './fixtures/scenario.ts'

const ruleOf = (a: LogEvent): string => (a.rule as { id: string }).id
const iam = (minute: number, action: string, f: Record<string, unknown>): LogEvent => ev(minute, { 'event.action': action, 'event.outcome': 'success', ...f })

let dir: string
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'beer-sequences-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('sequences', () => {
  it('raises one alert for five failed logins then a success for one account, with what the match was', async () => {
    const b = await build({ shipped: ['failed-logins-then-success-user'] })
    const events = [0, 1, 2, 3, 4, 5].map((m) => failed(m, 'bob', `192.0.2.${m}`))
    events.push(loggedIn(6, 'bob'), loggedIn(7, 'bob'))
    await b.run(events)
    assert.equal(b.alerts.length, 1)
    const a = b.alerts[0]!
    assert.equal(a.event!.kind, 'alert')
    assert.equal(a['@timestamp'], '2026-11-27T10:06:00.000Z')
    assert.deepEqual(a.rule, {
      id: 'failed-logins-then-success-user',
      name: 'Failed logins, then a success, for one account',
      ruleset: 'beer-sequences',
      description: 'Five failed logins for one account, then a successful one, within ten minutes: a guessed or sprayed password that worked.',
    })
    assert.equal(a.event!.severity, 7)
    assert.equal(a.event!.risk_score, 73)
    assert.deepEqual(a.user, { name: 'bob' })
    assert.equal(a.event!.start, '2026-11-27T10:01:00.000Z')
    assert.equal(a.event!.end, '2026-11-27T10:06:00.000Z')
    assert.match(a.event!.reason as string, /user\.name 'bob': 5 × failed from 2026-11-27T10:01:00\.000Z to 2026-11-27T10:05:00\.000Z, then succeeded at 2026-11-27T10:06:00\.000Z/)
    const steps = (a.beer!.sequence as { steps: { name: string; '@timestamp': string; id: string }[] }).steps
    assert.deepEqual(steps.map((s) => s.name), ['failed', 'failed', 'failed', 'failed', 'failed', 'succeeded'])
    // The causes are the events themselves, which were given ids when the analyzer kept them.
    assert.deepEqual(b.causes[0]!.map((c) => c.event!.id), [...events.slice(1, 7).map((e) => e.event!.id)])
    assert.deepEqual(steps.map((s) => s.id), b.causes[0]!.map((c) => c.event!.id))
    assert.ok(events.every((e) => typeof e.event!.id === 'string'))
    assert.deepEqual(a.related!.ip, ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.10'])
    assert.deepEqual(structuredClone(a), JSON.parse(JSON.stringify(a)))
  })

  it('keys each step on its own field: a group created, nested into an admin group, then deleted', async () => {
    const b = await build({ shipped: ['group-created-admin-deleted'] })
    await b.run([
      iam(0, 'added-group-account', { 'group.name': 'Helpdesk-Tmp', 'user.name': 'adm-bob' }),
      iam(1, 'added-member-to-group', { 'group.name': 'Domain Admins', 'user.target.name': 'helpdesk-tmp' }),
      iam(30, 'deleted-group-account', { 'group.name': 'Helpdesk-Tmp' }),
      // Near-misses: no admin rights; a user (not the group) made admin; a refused nesting.
      iam(40, 'added-group-account', { 'group.name': 'g2' }),
      iam(41, 'added-member-to-group', { 'group.name': 'Domain Admins', 'user.target.name': 'carol' }),
      iam(42, 'added-member-to-group', { 'group.name': 'Domain Admins', 'user.target.name': 'g2', 'event.outcome': 'failure' }),
      iam(43, 'added-member-to-group', { 'group.name': 'Finance', 'user.target.name': 'g2' }),
      iam(50, 'deleted-group-account', { 'group.name': 'g2' }),
      // A Linux group given GID 0.
      iam(60, 'added-group-account', { 'group.name': 'ops2', 'group.id': '3001' }),
      iam(61, 'modified-group-account', { 'group.name': 'ops2', 'event.reason': 'new gid: 0' }),
      iam(62, 'deleted-group-account', { 'group.name': 'ops2' }),
    ])
    assert.deepEqual(b.alerts.map((a) => a.group), [{ name: 'Helpdesk-Tmp' }, { name: 'ops2' }])
    assert.deepEqual(
      (b.alerts[0]!.beer!.sequence as { steps: { name: string }[] }).steps.map((s) => s.name),
      ['created', 'granted-admin', 'deleted'],
    )
  })

  it('lets steps that happen too far apart go (maxspan)', async () => {
    const b = await build({ shipped: ['user-created-deleted'] })
    await b.run([
      iam(0, 'added-user-account', { 'user.target.name': 'tmp1' }),
      iam(59, 'deleted-user-account', { 'user.target.name': 'tmp1' }),
      iam(100, 'added-user-account', { 'user.target.name': 'tmp2' }),
      iam(161, 'deleted-user-account', { 'user.target.name': 'tmp2' }),
    ])
    assert.deepEqual(b.alerts.map((a) => a.user), [{ target: { name: 'tmp1' } }])
  })

  it('counts per key in a window (threshold)', async () => {
    const rule: Rule = { id: 'denies', type: 'threshold', by: 'source.ip', where: { 'event.action': 'denied' }, count: 3, window: '1m', severity: 3 }
    const b = await build({ shipped: false, rules: [rule] })
    const d = (m: number, ip: string): LogEvent => ev(m, { 'event.action': 'denied', 'source.ip': ip })
    await b.run([d(0, '192.0.2.1'), d(0.5, '192.0.2.1'), d(1.2, '192.0.2.1'), d(1.3, '192.0.2.2'), d(1.4, '192.0.2.1'), d(1.5, '192.0.2.1'), d(1.6, '192.0.2.1')])
    // 0, 0.5 and 1.2 span more than a minute; 0.5, 1.2 and 1.4 do not; then the count starts again.
    assert.equal(b.alerts.length, 1)
    assert.equal(b.alerts[0]!['@timestamp'], '2026-11-27T10:01:24.000Z')
    assert.deepEqual((b.alerts[0]!.beer!.sequence as { count: number }).count, 3)
    assert.deepEqual(b.alerts[0]!.source, { ip: '192.0.2.1' })
  })

  it('alerts once when two products alert about one address, user or host, and ranks it above them', async () => {
    const b = await build({ shipped: ['alerts-from-several-products'] })
    const alert = (m: number, product: string, f: Record<string, unknown>): LogEvent =>
      ev(m, { 'event.kind': 'alert', 'observer.product': product, 'event.severity': 4, 'event.risk_score': 60, ...f })
    await b.run([
      alert(0, 'Snort', { 'source.ip': '203.0.113.7', 'destination.ip': '10.30.0.5' }),
      alert(1, 'Snort', { 'source.ip': '203.0.113.8', 'destination.ip': '10.30.0.5' }),
      alert(5, 'PAN-OS', { 'source.ip': '203.0.113.7', 'destination.ip': '10.30.0.5', 'event.severity': 5, 'event.risk_score': 70 }),
      // One product only.
      alert(10, 'Snort', { 'source.ip': '203.0.113.9', 'destination.ip': '10.30.0.6' }),
      alert(11, 'Snort', { 'source.ip': '203.0.113.9', 'destination.ip': '10.30.0.6' }),
      // Too far apart.
      alert(20, 'Snort', { 'user.name': 'erin' }),
      alert(51, 'DecoyGrid', { 'source.user.name': 'erin' }),
    ])
    assert.equal(b.alerts.length, 1)
    const a = b.alerts[0]!
    assert.deepEqual((a.beer!.sequence as { key: unknown }).key, { 'related.ip': ['203.0.113.7', '10.30.0.5'] })
    assert.deepEqual((a.beer!.sequence as { distinct: unknown }).distinct, { field: 'observer.product', values: ['Snort', 'PAN-OS'] })
    // Priority: the highest of the alerts joined, raised (severity + 1, risk + 10 for the second product).
    assert.equal(a.event!.severity, 7)
    assert.equal(a.event!.risk_score, 80)
    // The PAN-OS alert completed two windows (the attacker's address and the server's): one alert, with the events of both.
    assert.equal(b.causes[0]!.length, 3)
  })

  it('handles events out of order within the lateness exactly as in order', async () => {
    const s = scenario({ days: 1, users: 60, seed: 7 })
    const sorted = await build({ lateness: '2m' })
    await sorted.run(structuredClone(s.events))
    // Arrival order: each event up to 90 s late, at random (deterministic).
    let x = 1
    const jitter = (): number => ((x = (x * 16807) % 2147483647) / 2147483647) * 90_000
    const shuffled = structuredClone(s.events)
      .map((e) => ({ e, at: Date.parse(e['@timestamp']!) + jitter() }))
      .sort((a, b) => a.at - b.at)
      .map((p) => p.e)
    assert.notDeepEqual(shuffled.map((e) => e['@timestamp']), s.events.map((e) => e['@timestamp']))
    const late = await build({ lateness: '2m' })
    await late.run(shuffled)
    assert.ok(sorted.alerts.length >= 10)
    const view = (as: LogEvent[]): string[] => as.map((a) => `${a['@timestamp']} ${ruleOf(a)} ${JSON.stringify((a.beer!.sequence as { key: unknown }).key)}`).sort()
    assert.deepEqual(view(late.alerts), view(sorted.alerts))
    assert.equal((late.analyzer.command('status') as SequencesStatus).late, 0)
  })

  it('counts events later than the lateness, matching them anyway or dropping them', async () => {
    for (const late of ['process', 'drop'] as const) {
      const b = await build({ shipped: ['user-created-deleted'], lateness: '1m', late })
      b.analyzer.analyze(iam(0, 'added-user-account', { 'user.target.name': 'tmp9' }))
      b.analyzer.analyze(ev(30, { 'event.action': 'noise' }))
      // Twenty-nine minutes behind the newest event seen, 28 behind the watermark.
      b.analyzer.analyze(iam(1, 'deleted-user-account', { 'user.target.name': 'tmp9' }))
      await b.analyzer.flush()
      const st = b.analyzer.command('status') as SequencesStatus
      assert.equal(st.late, 1, late)
      assert.equal(st.droppedLate, late === 'drop' ? 1 : 0)
      assert.equal(b.alerts.length, late === 'drop' ? 0 : 1)
    }
  })

  it('holds events for the lateness, and matches them when the watermark passes or on flush', async () => {
    const b = await build({ shipped: ['user-created-deleted'], lateness: '5m' })
    b.analyzer.analyze(iam(0, 'added-user-account', { 'user.target.name': 'tmp3' }))
    b.analyzer.analyze(iam(2, 'deleted-user-account', { 'user.target.name': 'tmp3' }))
    assert.equal(b.alerts.length, 0)
    assert.equal((b.analyzer.command('status') as SequencesStatus).buffered, 2)
    b.analyzer.analyze(ev(7, { 'event.action': 'noise' }))
    assert.equal(b.alerts.length, 1)
    b.analyzer.analyze(iam(8, 'added-user-account', { 'user.target.name': 'tmp4' }))
    b.analyzer.analyze(iam(9, 'deleted-user-account', { 'user.target.name': 'tmp4' }))
    await b.analyzer.flush()
    assert.equal(b.alerts.length, 2)
  })

  it('expires windows as the watermark moves, across a gap in the events, whatever the key', async () => {
    const b = await build({ shipped: ['failed-logins-then-success-user'], lateness: 0 })
    for (let m = 0; m < 5; m++) b.analyzer.analyze(failed(m, 'dave'))
    const keys = (): number => (b.analyzer.command('status') as SequencesStatus).perRule[0]!.keys
    assert.equal(keys(), 1)
    // An unrelated event two hours later moves the watermark past the ten-minute window.
    b.analyzer.analyze(ev(120, { 'event.action': 'noise' }))
    assert.equal(keys(), 0)
    b.analyzer.analyze(loggedIn(121, 'dave'))
    await b.analyzer.flush()
    assert.equal(b.alerts.length, 0)
  })

  it('gives every alert an id made from the rule and its causes: the same events, the same alert', async () => {
    const s = scenario({ days: 1, users: 40, seed: 3 })
    const one = await build()
    await one.run(structuredClone(s.events).map((e, i) => ({ ...e, event: { ...e.event, id: `e${i}` } })))
    const two = await build()
    await two.run(structuredClone(s.events).map((e, i) => ({ ...e, event: { ...e.event, id: `e${i}` } })))
    assert.ok(one.alerts.length > 5)
    assert.equal(JSON.stringify(two.alerts), JSON.stringify(one.alerts))
    assert.match(one.alerts[0]!.event!.id as string, /^seq-[0-9a-f]{28}$/)
  })

  it('answers status, rules and reset of one entity or of everything', async () => {
    const b = await build({ shipped: ['failed-logins-then-success-user', 'user-created-deleted'], lateness: 0 })
    for (let m = 0; m < 3; m++) b.analyzer.analyze(failed(m, 'Erin'))
    for (let m = 0; m < 3; m++) b.analyzer.analyze(failed(m, 'frank'))
    b.analyzer.analyze(iam(3, 'added-user-account', { 'user.target.name': 'erin' }))
    const st = b.analyzer.command('status') as SequencesStatus
    assert.equal(st.rules, 2)
    assert.equal(st.received, 7)
    assert.equal(st.watermark, '2026-11-27T10:03:00.000Z')
    assert.deepEqual(st.perRule.map((r) => [r.id, r.keys]), [['user-created-deleted', 1], ['failed-logins-then-success-user', 2]])
    const rules = b.analyzer.command('rules') as { id: string; steps: unknown[]; spanMs: number }[]
    assert.deepEqual(rules.map((r) => [r.id, r.spanMs]), [['user-created-deleted', 3_600_000], ['failed-logins-then-success-user', 600_000]])
    assert.deepEqual(rules[1]!.steps, [{ name: 'failed', runs: 5 }, { name: 'succeeded', runs: 1 }])
    assert.deepEqual(b.analyzer.command('reset', { entity: 'erin', rule: 'failed-logins-then-success-user' }), { reset: { keys: 1, buffered: 0 } })
    assert.deepEqual(b.analyzer.command('reset', 'ERIN'), { reset: { keys: 1, buffered: 0 } })
    assert.deepEqual(b.analyzer.command('reset'), { reset: { keys: 1, buffered: 0 } })
    assert.throws(() => b.analyzer.command('reset', { rule: 'nope' }), /no rule 'nope'/)
    assert.equal(b.analyzer.command('rotate'), undefined)
  })
})

describe('state across restarts', () => {
  it('keeps partial matches, windows and buffered events in a file and resumes from them', async () => {
    const file = path.join(dir, 'state', 'sequences.json')
    const first = await build({ shipped: ['failed-logins-then-success-user'], lateness: '1m', state: stateFile(file) })
    for (let m = 0; m < 5; m++) first.analyzer.analyze(failed(m, 'grace'))
    first.analyzer.analyze(failed(5, 'heidi'))
    await first.analyzer.command('save')
    // The close saves too (after the runtime's flush); here the last event is still in the buffer.
    const saved = JSON.parse(await readFile(file, 'utf8'))
    assert.equal(saved.format, 'beer-sequences-state')
    assert.equal(saved.buffer.length, 1)
    await first.analyzer.close()
    const second = await build({ shipped: ['failed-logins-then-success-user'], lateness: '1m', state: stateFile(file) })
    assert.match(second.logs.map((l) => l.message).join('\n'), /state restored from .*sequences\.json: 1 entities, 1 buffered events/)
    second.analyzer.analyze(loggedIn(6, 'grace'))
    await second.analyzer.flush()
    assert.equal(second.alerts.length, 1)
    assert.equal((second.alerts[0]!.beer!.sequence as { steps: unknown[] }).steps.length, 6)
    await second.analyzer.close()
  })

  it('starts empty from a corrupt state, with a warning, and moves the file aside', async () => {
    const file = path.join(dir, 'corrupt.json')
    await writeFile(file, '{"format":"beer-sequences-state","version":1,"rules":{"failed-logins-then-success-user":{"signature":')
    const b = await build({ shipped: ['failed-logins-then-success-user'], state: stateFile(file) })
    const warn = b.logs.find((l) => l.level === 'warn')
    assert.match(warn?.message ?? '', /^BEER_ERR_SEQUENCES_STATE: state .*corrupt\.json is not a state this analyzer can read .*starting empty; the file was moved to .*corrupt\.json\.corrupt-/)
    assert.equal((b.analyzer.command('status') as SequencesStatus).state!.lastError!.code, 'BEER_ERR_SEQUENCES_STATE')
    assert.equal(existsSync(file), false)
    assert.equal((await readdir(dir)).filter((f) => f.startsWith('corrupt.json.corrupt-')).length, 1)
    await b.run([0, 1, 2, 3, 4].map((m) => failed(m, 'ivan')).concat(loggedIn(5, 'ivan')))
    assert.equal(b.alerts.length, 1)
    await b.analyzer.close()
    assert.equal(JSON.parse(await readFile(file, 'utf8')).format, 'beer-sequences-state')
  })

  it('leaves out the state of a rule whose definition changed, and uses a file per instance', async () => {
    const file = path.join(dir, 'changed.json')
    const rule = (maxspan: string): Rule => ({ id: 'two', type: 'sequence', by: 'user.name', maxspan, steps: [{ where: { 'event.action': 'a' } }, { where: { 'event.action': 'b' } }] })
    const one = await build({ shipped: false, rules: [rule('5m')], lateness: 0, state: stateFile(file) }, 1)
    one.analyzer.analyze(ev(0, { 'event.action': 'a', 'user.name': 'judy' }))
    await one.analyzer.close()
    assert.ok(existsSync(`${file}.1`))
    const two = await build({ shipped: false, rules: [rule('6m')], lateness: 0, state: stateFile(file) }, 1)
    two.analyzer.analyze(ev(1, { 'event.action': 'b', 'user.name': 'judy' }))
    await two.analyzer.flush()
    assert.equal(two.alerts.length, 0)
    await two.analyzer.close()
    const three = await build({ shipped: false, rules: [rule('5m')], lateness: 0, state: stateFile(file) }, 1)
    assert.equal((three.analyzer.command('status') as SequencesStatus).perRule[0]!.keys, 0)
  })
})
