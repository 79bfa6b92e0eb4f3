import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { assertCloneable } from '@beer/core'
import type { Analyzer, LogEvent, ModuleContext } from '@beer/core'
import { logins } from '../src/index.ts'
import type { LoginAlert, LoginsOptions, LoginsStatus } from '../src/index.ts'
import { create } from '../src/logins.ts'
import { networkOf } from '../src/network.ts'
import { dayRanges, hourRanges } from '../src/time.ts'

const H = 3_600_000
const D = 86_400_000
const MONDAY = Date.parse('2026-09-07T00:00:00.000Z')

type Live = Analyzer & { command(name: string, args?: unknown): unknown; close(): Promise<void> }

interface Run {
  a: Live
  alerts: LoginAlert[]
  causes: LogEvent[][]
  warnings: string[]
}

async function build(options: LoginsOptions = {}): Promise<Run> {
  const alerts: LoginAlert[] = []
  const causes: LogEvent[][] = []
  const warnings: string[] = []
  const context: ModuleContext = {
    name: 'logins',
    instance: 0,
    log: { info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    emit: (event, c) => {
      alerts.push(event as LoginAlert)
      causes.push([...(c ?? [])])
    },
  }
  // lateness 0 folds each login at once, so profiles can be read right after; its own test sets one.
  const a = (await create({ snapshot: false, lateness: 0, ...options }, context)) as Live
  return { a, alerts, causes, warnings }
}

/** A successful login as the parsers shape it. */
function login(user: string, at: number, server: string | undefined, ip = '192.0.2.10', country: string | undefined = 'CH'): LogEvent {
  const e: LogEvent = {
    '@timestamp': new Date(at).toISOString(),
    event: { kind: 'event', category: ['authentication'], type: ['start'], action: 'logged-in', outcome: 'success' },
    user: { name: user },
    source: country === undefined ? { ip } : { ip, geo: { country_iso_code: country } },
  }
  if (server !== undefined) e.host = { name: server }
  return e
}

/** Four weeks of a 9-to-5 user: three logins each workday, to web-1 and, now and then, mail. */
function teach(a: Analyzer, user: string, weeks = 4, start = MONDAY): number {
  let t = start
  for (let w = 0; w < weeks; w++) {
    for (let d = 0; d < 5; d++) {
      const day = start + (w * 7 + d) * D
      for (const h of [9, 12, 16]) {
        t = day + h * H + 7 * 60_000
        a.analyze(login(user, t, h === 12 && d === 2 ? 'mail' : 'web-1', `192.0.2.${10 + d}`))
      }
    }
  }
  return t
}

const afterWeeks = (weeks: number, day: number, hour: number, minute = 0): number => MONDAY + (weeks * 7 + day) * D + hour * H + minute * 60_000

describe('logins()', () => {
  it('returns a cloneable analyzer descriptor and refuses bad options by name', () => {
    const d = logins({ learnFor: '21d', timeZone: 'Europe/Zurich' })
    assert.equal(d.kind, 'analyzer')
    assert.equal(d.name, 'logins')
    assert.doesNotThrow(() => assertCloneable(d.options, d.name))
    assert.equal(logins({ name: 'vpn-logins' }).name, 'vpn-logins')
    const code = (options: LoginsOptions, option: RegExp) => () =>
      assert.throws(() => logins(options), (err: { code?: string; message: string }) => err.code === 'BEER_ERR_LOGINS_OPTIONS' && option.test(err.message))
    code({ learnFor: 'two weeks' }, /learnFor/)()
    code({ timeZone: 'Mars/Olympus' }, /timeZone/)()
    code({ rareShare: 2 }, /rareShare/)()
    code({ checks: ['new_planet' as never] }, /checks/)()
    code({ risk: { big: 3 } as never }, /risk\.big/)()
    code({ userField: 'user..name' }, /userField/)()
    code({ learnWhen: 'sometimes' as never }, /learnWhen/)()
  })
})

describe('the logins analyzer', () => {
  it('learns only from successful logins of real accounts, whatever product reported them', async () => {
    const { a } = await build({ learnFor: 0, learnLogins: 0 })
    const t = MONDAY + 9 * H
    a.analyze(login('alice', t, 'web-1'))
    a.analyze({ ...login('alice', t, 'web-2'), event: { category: ['authentication'], type: ['start'], action: 'logon-failed', outcome: 'failure' } })
    a.analyze({ ...login('alice', t, 'web-3'), event: { category: ['authentication'], type: ['end'], action: 'logged-out', outcome: 'success' } })
    a.analyze({ ...login('alice', t, 'dc01'), event: { category: ['authentication'], type: ['start'], action: 'kerberos-service-ticket-requested', outcome: 'success' } })
    a.analyze({ ...login('alice', t, 'web-4'), event: { category: 'authentication', type: 'start', outcome: 'success' } })
    a.analyze({ ...login('FS01$', t, 'fs01') })
    a.analyze({ ...login('bob', t, 'x'), '@timestamp': 'yesterday' })
    a.analyze({ ...login('', t, 'x') })
    a.analyze({ message: 'no event at all' })
    // A VPN login names its gateway under observer.*, not host.*.
    a.analyze({ ...login('carol', t, undefined, '198.51.100.7', 'DE'), observer: { hostname: 'vpn-gw' } })
    const alice = a.command('profile', 'alice') as { servers: { value: string }[]; logins: number }
    assert.deepEqual(alice.servers.map((s) => s.value).sort(), ['web-1', 'web-4'])
    assert.equal(alice.logins, 2)
    const carol = a.command('profile', { user: 'carol' }) as { servers: { value: string }[]; networks: { value: string }[]; countries: { value: string }[] }
    assert.deepEqual(carol.servers.map((s) => s.value), ['vpn-gw'])
    assert.deepEqual(carol.networks.map((s) => s.value), ['198.51.100.0/24'])
    assert.deepEqual(carol.countries.map((s) => s.value), ['DE'])
    const status = a.command('status') as LoginsStatus
    assert.equal(status.logins, 3)
    assert.deepEqual(status.skipped, { ignored: 1, no_user: 1, no_timestamp: 1 })
    assert.equal((a.command('profile', 'FS01$') as { found: boolean }).found, false)
  })

  it('stays quiet while a user learns, then says in words and fields why a login does not fit', async () => {
    const { a, alerts, causes } = await build()
    a.analyze(login('alice', MONDAY + 9 * H, 'db-7'))
    teach(a, 'alice', 1)
    assert.equal(alerts.length, 0, 'no alert while learning, whatever the login')
    teach(a, 'alice', 6)
    assert.equal(alerts.length, 0)
    const odd = login('alice', afterWeeks(6, 2, 2, 14), 'db-9', '192.0.2.11')
    ;(odd.user as Record<string, unknown>).domain = 'EXAMPLE'
    a.analyze(odd)
    assert.equal(alerts.length, 1)
    const alert = alerts[0]!
    assert.deepEqual(causes[0], [odd], 'the login is the cause: the runtime records its event.id in beer.causes')
    assert.equal(alert['@timestamp'], odd['@timestamp'], 'alerts are on event time')
    assert.equal(alert.message, "alice has not logged into db-9 in 43 days of history (no other user does); 02:14 (UTC) is outside alice's usual hours 09:00–17:00")
    assert.equal(alert.event.reason, alert.message)
    assert.equal(alert.event.kind, 'alert')
    assert.equal(alert.event.risk_score, 100)
    assert.equal(alert.event.severity, 3)
    assert.deepEqual(alert.rule, { id: 'beer-logins-new-server', name: 'Login to a server the user never used', ruleset: 'beer-logins' })
    assert.deepEqual(alert.user, { name: 'alice', domain: 'EXAMPLE' })
    assert.deepEqual(alert.host, { name: 'db-9' })
    assert.deepEqual(alert.source, { ip: '192.0.2.11', geo: { country_iso_code: 'CH' } })
    assert.deepEqual(alert.related, { user: ['alice'], hosts: ['db-9'], ip: ['192.0.2.11'] })
    const f = alert.beer.analyzer.logins
    assert.deepEqual(f.kind, ['new_server', 'unusual_hour'])
    assert.deepEqual(
      f.anomalies.map((x) => [x.kind, x.rule_id, x.risk]),
      [
        ['new_server', 'beer-logins-new-server', 60],
        ['unusual_hour', 'beer-logins-unusual-hour', 50],
      ],
    )
    assert.equal(f.severity, 'high')
    assert.equal(f.history_days, 43)
    assert.equal(f.usual_hours, '09:00–17:00', 'gaps of up to three hours between logins are part of the day')
    assert.equal(f.time, '02:14')
    assert.equal(f.day, 'Wednesday')
    assert.equal(f.server, 'db-9')
    assert.equal(f.server_users, 0)
    assert.equal(f.network, '192.0.2.0/24')
    assert.ok(f.logins > 50 && f.logins < 100, `decayed login count ${f.logins}`)
    assert.doesNotThrow(() => assertCloneable(alert, 'alert'))
    assert.deepEqual(JSON.parse(JSON.stringify(alert)), alert)
  })

  it('lets weak findings pass alone and alert together', async () => {
    const { a, alerts } = await build()
    const last = teach(a, 'bob', 4)
    // A new /24 from a known country, on a weekday at a usual hour: 15 points, no alert.
    a.analyze(login('bob', last + 16 * H, 'web-1', '203.0.113.5'))
    // Saturday at 10:07 (day 20) from the known network: 20 points, no alert.
    a.analyze(login('bob', afterWeeks(4, 5, 10, 7), 'web-1', '192.0.2.10'))
    assert.equal(alerts.length, 0)
    // Sunday at 18:30 from yet another network: day + hour near + network = 60 points.
    a.analyze(login('bob', afterWeeks(4, 6, 18, 30), 'web-1', '198.51.100.77'))
    assert.equal(alerts.length, 1)
    assert.deepEqual(alerts[0]!.beer.analyzer.logins.kind, ['unusual_hour', 'unusual_day', 'new_network'])
    assert.equal(alerts[0]!.event.risk_score, 60)
    assert.equal(alerts[0]!.rule.id, 'beer-logins-unusual-hour')
    assert.match(alerts[0]!.event.reason, /bob does not usually log in on Sunday \(usual: Mon–Sat\)/)
  })

  it('tells a new country from one many colleagues log in from', async () => {
    const { a, alerts } = await build()
    for (const u of ['u1', 'u2', 'u3', 'u4']) teach(a, u, 4)
    for (const u of ['u2', 'u3', 'u4']) a.analyze(login(u, afterWeeks(4, 0, 9), 'web-1', '198.51.100.5', 'FR'))
    alerts.length = 0
    a.analyze(login('u1', afterWeeks(4, 1, 9), 'web-1', '198.51.100.6', 'FR'))
    assert.equal(alerts.length, 0, 'France: 3 of 4 users log in from there (25 points)')
    a.analyze(login('u1', afterWeeks(4, 1, 10), 'web-1', '203.0.113.9', 'BR'))
    assert.equal(alerts.length, 1)
    assert.equal(alerts[0]!.rule.id, 'beer-logins-new-country')
    assert.equal(alerts[0]!.event.reason, 'first login of u1 from BR; before only from CH, FR (no other user logs in from there)')
    assert.deepEqual(alerts[0]!.beer.analyzer.logins.usual_countries, ['CH', 'FR'])
  })

  it('does not make news of a server most users log into', async () => {
    const { a, alerts } = await build()
    for (const u of ['u1', 'u2', 'u3', 'u4', 'u5']) teach(a, u, 4)
    for (const u of ['u2', 'u3', 'u4', 'u5']) a.analyze(login(u, afterWeeks(4, 0, 9), 'print-1'))
    assert.equal(alerts.length, 3, 'the first three to try it: nobody else used it yet')
    a.analyze(login('u1', afterWeeks(4, 1, 9), 'print-1'))
    assert.equal(alerts.length, 3, 'by then 4 of 5 users log into it')
    assert.deepEqual((a.command('status') as LoginsStatus).alertsByKind, { new_server: 3 })
  })

  it('says when a user never seen logs in, once the whole system has learned', async () => {
    const { a, alerts } = await build({ systemLearnFor: '7d' })
    teach(a, 'alice', 1)
    a.analyze(login('early', MONDAY + 6 * D, 'web-1'))
    assert.equal(alerts.length, 0, 'before the system has learned, a new user is just a new user')
    a.analyze(login('mallory', MONDAY + 8 * D + 10 * H, 'web-1', '198.51.100.9'))
    a.analyze(login('mallory', MONDAY + 8 * D + 11 * H, 'web-1', '198.51.100.9'))
    assert.equal(alerts.length, 1, 'only the first login of a new user')
    assert.equal(alerts[0]!.rule.id, 'beer-logins-new-user')
    assert.equal(alerts[0]!.event.reason, 'mallory logged in for the first time (to web-1 from 198.51.100.9), after 8 days of history of 2 users')
    assert.equal(alerts[0]!.event.severity, 2)
  })

  it('reads hours in the configured time zone', async () => {
    const { a, alerts } = await build({ timeZone: 'America/New_York' })
    // 9, 12 and 16 UTC are 05, 08 and 12 in New York (EDT, UTC−4) in September.
    teach(a, 'alice', 5)
    a.analyze(login('alice', afterWeeks(5, 1, 20), 'web-1'))
    assert.equal(alerts.length, 1)
    assert.equal(alerts[0]!.beer.analyzer.logins.time, '16:00')
    assert.equal(alerts[0]!.beer.analyzer.logins.time_zone, 'America/New_York')
    assert.match(alerts[0]!.event.reason, /^16:00 \(America\/New_York\) is outside alice's usual hours 05:00–13:00$/)
  })

  it('folds logins into profiles in event-time order within the lateness, judging each against the logins still waiting', async () => {
    const { a, alerts } = await build({ lateness: '10m' })
    const last = teach(a, 'alice', 4)
    // Three logins to a new server within the lateness, arriving out of order: one alert.
    const t = afterWeeks(4, 0, 10)
    a.analyze(login('alice', t + 2 * 60_000, 'db-7'))
    a.analyze(login('alice', t, 'db-7'))
    a.analyze(login('alice', t + 60_000, 'db-7'))
    assert.equal(alerts.length, 1)
    assert.equal((a.command('status') as LoginsStatus).pending, 3)
    assert.equal((a.command('profile', 'alice') as { pending: number }).pending, 3)
    // Time moves on: they are folded, in order.
    a.analyze(login('alice', t + 20 * 60_000, 'web-1'))
    assert.equal((a.command('status') as LoginsStatus).pending, 1)
    // A login older than the lateness is folded at once and counted.
    a.analyze(login('alice', last - D, 'web-1'))
    assert.equal((a.command('status') as LoginsStatus).late, 1)
    assert.equal(alerts.length, 1)
  })

  it('answers profile, reset and status', async () => {
    // Three weeks of logins: learned with a two-week learning period (the default is three).
    const { a } = await build({ learnFor: '14d' })
    teach(a, 'alice', 3)
    teach(a, 'bob', 1, MONDAY + 14 * D)
    const p = a.command('profile', 'alice') as Record<string, unknown>
    assert.equal(p.found, true)
    assert.equal(p.state, 'learned')
    assert.equal(p.logins, 45)
    assert.equal(p.usual_hours, '09:00–17:00')
    assert.equal(p.usual_days, 'Mon–Fri')
    assert.deepEqual((p.servers as { value: string }[]).map((s) => s.value), ['web-1', 'mail'])
    assert.equal(p.first, '2026-09-07T09:07:00.000Z')
    assert.doesNotThrow(() => JSON.stringify(p))
    assert.deepEqual(a.command('profile', 'nobody'), { user: 'nobody', found: false, instance: 0, pending: 0 })
    const s = a.command('status') as LoginsStatus
    assert.equal(s.users, 2)
    assert.equal(s.learned, 1)
    assert.equal(s.learning, 1)
    assert.equal(s.system, 'learned')
    assert.equal(s.snapshot, null)
    assert.deepEqual(a.command('reset', { user: 'bob' }), { reset: 'bob', found: true })
    assert.equal((a.command('status') as LoginsStatus).users, 1)
    assert.deepEqual(a.command('reset'), { reset: 'all', users: 1 })
    assert.equal((a.command('status') as LoginsStatus).users, 0)
    assert.equal(a.command('rotate'), undefined, 'commands of other modules are ignored')
    assert.throws(() => a.command('profile'), (err: { code?: string }) => err.code === 'BEER_ERR_LOGINS_COMMAND')
    assert.throws(() => a.command('reset', 42), (err: { code?: string }) => err.code === 'BEER_ERR_LOGINS_COMMAND')
  })
})

describe('networkOf', () => {
  it('gives the /24 of an IPv4 address and the /64 of an IPv6 one', () => {
    assert.equal(networkOf('192.0.2.77'), '192.0.2.0/24')
    assert.equal(networkOf('010.001.2.3'), '10.1.2.0/24')
    assert.equal(networkOf('::ffff:192.0.2.1'), '192.0.2.0/24')
    assert.equal(networkOf('2001:db8:0:1:2:3:4:5'), '2001:db8:0:1::/64')
    assert.equal(networkOf('2001:DB8:A:B::1'), '2001:db8:a:b::/64')
    assert.equal(networkOf('2001:db8::1'), '2001:db8::/64')
    assert.equal(networkOf('fe80::1%eth0'), 'fe80::/64')
    for (const bad of ['1.2.3', '256.1.1.1', '1..2.3', 'x.1.2.3', '1:2:3:4:5:6:7:8:9', '2001:db8::1::2', '']) assert.equal(networkOf(bad), undefined, bad)
  })
})

describe('hour and day ranges', () => {
  it('writes sets of hours and days as ranges, over midnight and across short gaps', () => {
    const hours = (...on: number[]) => Array.from({ length: 24 }, (_, h) => on.includes(h))
    assert.equal(hourRanges(hours(9, 10, 11, 17)), '09:00–12:00, 17:00–18:00')
    assert.equal(hourRanges(hours(22, 23, 0, 1, 5)), '05:00–06:00, 22:00–02:00')
    assert.equal(hourRanges(hours(9, 12, 16), 3), '09:00–17:00')
    assert.equal(hourRanges(hours(9, 16), 3), '09:00–10:00, 16:00–17:00')
    assert.equal(hourRanges(hours()), 'none')
    const days = (...on: number[]) => Array.from({ length: 7 }, (_, d) => on.includes(d))
    assert.equal(dayRanges(days(1, 2, 3, 4, 5)), 'Mon–Fri')
    assert.equal(dayRanges(days(0, 1, 2, 6)), 'Mon–Tue, Sat–Sun')
    assert.equal(dayRanges(days(0, 1, 2, 3, 4, 5, 6)), 'every day')
  })
})
