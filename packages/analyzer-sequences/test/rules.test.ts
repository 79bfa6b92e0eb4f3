import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { LogEvent } from '@beer/core'
import { compileCondition, unsafeRegex } from '../src/conditions.ts'
import type { CompileContext } from '../src/conditions.ts'
import { cidrMatcher, parseIPv6 } from '../src/cidr.ts'
import { parseDuration } from '../src/duration.ts'
import { sequences } from '../src/index.ts'
import { resolveOptions, rulesFromText } from '../src/options.ts'
import { build, ev } from './fixtures/harness.ts'

const ctx = (): CompileContext => ({ rule: 'r', regexMaxLength: 64, stats: { regexInputTooLong: 0 } })
const test = (c: unknown, e: LogEvent, c2 = ctx()): boolean => compileCondition(c, c2, 'where')(e)

describe('conditions', () => {
  const e = ev(0, {
    'event.action': 'logged-in',
    'event.category': ['authentication', 'network'],
    'event.severity': 7,
    'user.name': 'Adm-Alice',
    'source.ip': '10.1.2.3',
    'destination.ip': '2001:db8:1::5',
    'process.command_line': 'powershell -enc AAAA',
    'labels.count': '12',
  })

  it('tests equality, sets, prefixes, suffixes and substrings, with or without case', () => {
    assert.equal(test({ 'event.action': 'logged-in' }, e), true)
    assert.equal(test({ 'event.action': 'logon-failed' }, e), false)
    assert.equal(test({ 'event.action': ['logon-failed', 'logged-in'] }, e), true)
    assert.equal(test({ 'user.name': { prefix: 'adm-' } }, e), false)
    assert.equal(test({ 'user.name': { prefix: 'adm-', ignoreCase: true } }, e), true)
    assert.equal(test({ 'user.name': { eq: 'adm-alice', ignoreCase: true } }, e), true)
    assert.equal(test({ 'user.name': { in: ['ADM-ALICE'], ignoreCase: true } }, e), true)
    assert.equal(test({ 'process.command_line': { contains: '-enc ' } }, e), true)
    assert.equal(test({ 'process.command_line': { suffix: ['BBBB', 'AAAA'] } }, e), true)
  })

  it('matches any element of an array field', () => {
    assert.equal(test({ 'event.category': 'network' }, e), true)
    assert.equal(test({ 'event.category': 'iam' }, e), false)
  })

  it('tests IPv4 and IPv6 networks', () => {
    assert.equal(test({ 'source.ip': { cidr: '10.0.0.0/8' } }, e), true)
    assert.equal(test({ 'source.ip': { cidr: ['192.168.0.0/16', '10.1.2.0/24'] } }, e), true)
    assert.equal(test({ 'source.ip': { cidr: '10.1.3.0/24' } }, e), false)
    assert.equal(test({ 'destination.ip': { cidr: '2001:db8::/32' } }, e), true)
    assert.equal(test({ 'destination.ip': { cidr: '2001:db8:2::/48' } }, e), false)
    const m = cidrMatcher(['192.0.2.0/24'], () => assert.fail('bad'))
    assert.equal(m('::ffff:192.0.2.9'), true)
    assert.deepEqual(parseIPv6('::ffff:192.0.2.9'), [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0209])
    assert.deepEqual(parseIPv6('1:2:3:4:5:6:1.2.3.4'), [1, 2, 3, 4, 5, 6, 0x0102, 0x0304])
    assert.equal(parseIPv6('1::2::3'), undefined)
  })

  it('compares numbers, and numbers given as text', () => {
    assert.equal(test({ 'event.severity': { gte: 7 } }, e), true)
    assert.equal(test({ 'event.severity': { gt: 7 } }, e), false)
    assert.equal(test({ 'labels.count': { gt: 10, lte: 12 } }, e), true)
    assert.equal(test({ 'event.severity': 7 }, e), true)
    assert.equal(test({ 'labels.count': 12 }, e), true)
  })

  it('tests regular expressions compiled once, and does not run them on overlong values', () => {
    assert.equal(test({ 'process.command_line': { regex: '-enc\\s+[A-Za-z0-9+/=]{4,}' } }, e), true)
    assert.equal(test({ 'user.name': { regex: '^adm-', flags: 'i' } }, e), true)
    const c = ctx()
    const long = ev(0, { message: 'x'.repeat(100) })
    assert.equal(test({ message: { regex: 'x' } }, long, c), false)
    assert.equal(c.stats.regexInputTooLong, 1)
  })

  it('combines with all, any and not, and tests presence', () => {
    assert.equal(test({ any: [{ 'event.action': 'x' }, { 'user.name': { exists: true } }] }, e), true)
    assert.equal(test({ all: [{ 'event.action': 'logged-in' }, { not: { 'source.ip': { cidr: '10.0.0.0/8' } } }] }, e), false)
    assert.equal(test({ 'host.name': { exists: false }, 'event.action': 'logged-in' }, e), true)
    assert.equal(test({ not: { 'event.outcome': 'failure' } }, e), true)
  })

  it('refuses patterns that backtrack exponentially', () => {
    assert.match(unsafeRegex('(a+)+$') ?? '', /nested quantifiers/)
    assert.match(unsafeRegex('(\\w*\\s?)*x') ?? '', /nested quantifiers/)
    assert.match(unsafeRegex('((ab)*c)+') ?? '', /nested quantifiers/)
    assert.match(unsafeRegex('(a)\\1') ?? '', /backreferences/)
    assert.equal(unsafeRegex('^(ab)+[a-z]*\\d{2,4}$'), undefined)
    assert.equal(unsafeRegex('[(+)*]+'), undefined)
  })
})

describe('rule checks', () => {
  const bad = (rule: unknown, pattern: RegExp): void => {
    assert.throws(
      () => sequences({ shipped: false, rules: [rule as never] }),
      (err: { code?: string; message?: string }) => {
        assert.equal(err.code, 'BEER_ERR_SEQUENCES_RULE')
        assert.match(err.message!, pattern)
        return true
      },
    )
  }
  const seq = { id: 'x', type: 'sequence', maxspan: '5m', by: 'user.name', steps: [{ where: { 'event.action': 'a' } }, { where: { 'event.action': 'b' } }] }

  it('names the rule and the field of every mistake', () => {
    bad({ ...seq, maxspan: 'soon' }, /^rule 'x': maxspan: expected a duration/)
    bad({ ...seq, steps: [{ where: { 'source.ip': { cidr: '10.0.0.0/33' } } }] }, /^rule 'x': steps\[0\]\.where\['source\.ip'\]\.cidr: '10\.0\.0\.0\/33' is not an IPv4 or IPv6 network/)
    bad({ ...seq, steps: [{ where: { 'user.name': { regex: '(a+)+' } } }] }, /^rule 'x': steps\[0\]\.where\['user\.name'\]\.regex: nested quantifiers are not allowed/)
    bad({ ...seq, steps: [{ where: { 'user.name': { regex: '(' } } }] }, /is not a valid regular expression/)
    bad({ ...seq, steps: [{ where: { 'user.name': { startsWith: 'a' } } }] }, /unknown operator 'startsWith'/)
    bad({ ...seq, steps: [{ where: { 'event.severity': { gt: '5' } } }] }, /\.gt: expected a number/)
    bad({ ...seq, steps: [{ where: {} }] }, /steps\[0\]\.where: is empty/)
    bad({ ...seq, steps: [{ where: { a: 1 }, runs: 0 }] }, /steps\[0\]\.runs: expected a whole number from 1 to 1000/)
    bad({ ...seq, steps: [{ where: { a: 1 }, by: ['user.name', 'host.name'] }] }, /steps\[0\]\.by: has 2 field\(s\) \(user\.name, host\.name\); the rule's 'by' has 1 \(user\.name\)/)
    bad({ ...seq, type: 'sequences' }, /^rule 'x': type: expected 'sequence', 'threshold' or 'distinct'/)
    bad({ ...seq, window: '5m' }, /^rule 'x': window: not a field of a sequence rule/)
    bad({ ...seq, step: [] }, /^rule 'x': step: unknown field/)
    bad({ id: 'y', type: 'threshold', where: { a: 1 }, window: '1m' }, /^rule 'y': count: expected a number from 1 to 10000/)
    bad({ id: 'z', type: 'distinct', where: { a: 1 }, window: '1m', count: 2 }, /^rule 'z': field: expected a field path/)
    bad({ id: 'z', type: 'distinct', where: { a: 1 }, window: '1m', count: 2, field: 'f', by: 'constructor.x' }, /'constructor' cannot be part of a field path/)
    bad({ id: 'has space', type: 'threshold' }, /^rules\[0\]\.id: expected letters, digits/)
  })

  it('refuses two rules with one id, and unknown options', () => {
    assert.throws(() => sequences({ rules: [{ ...seq, id: 'user-created-deleted' } as never] }), /rule 'user-created-deleted': id: used twice \(a shipped rule has it/)
    assert.throws(() => sequences({ lateness: 'a while' }), (err: { code?: string; message?: string }) => err.code === 'BEER_ERR_SEQUENCES_OPTIONS' && /lateness/.test(err.message!))
    assert.throws(() => sequences({ shipped: ['no-such-rule'] }), /option shipped: no shipped rule 'no-such-rule'/)
    assert.throws(() => sequences({ overrides: { 'no-such-rule': {} } }), /option overrides\.no-such-rule/)
    assert.throws(() => sequences({ lateness: 1, unknown: 1 } as never), /option unknown: unknown option/)
  })

  it('reads durations', () => {
    assert.equal(parseDuration('1h30m', 'x'), 5_400_000)
    assert.equal(parseDuration('500ms', 'x'), 500)
    assert.equal(parseDuration(2500, 'x'), 2500)
    assert.throws(() => parseDuration('-1s', 'x'))
  })

  it('gives a cloneable descriptor', () => {
    const d = sequences({ lateness: '5s' })
    assert.equal(d.kind, 'analyzer')
    assert.equal(d.name, 'sequences')
    assert.deepEqual(structuredClone(d), d)
  })

  it('applies overrides to shipped rules and leaves out disabled ones', () => {
    const o = resolveOptions({ overrides: { 'user-created-deleted': { maxspan: '24h' }, 'alerts-from-several-products': { enabled: false } } })
    assert.equal(o.rules.find((r) => r.id === 'user-created-deleted')!.spanMs, 86_400_000)
    assert.equal(o.rules.some((r) => r.id === 'alerts-from-several-products'), false)
  })
})

describe('rules as data', () => {
  const yaml = `
rules:
  - id: admin-login-after-reset
    type: sequence
    name: Password reset, then an admin login
    by: user.target.name
    maxspan: 15m
    steps:
      - name: reset
        where:
          event.action: changed-password
      - name: login
        by: user.name
        where:
          event.action: logged-in
          user.name: { prefix: adm- }
`
  const json = JSON.stringify([
    { id: 'many-denies', type: 'threshold', by: 'source.ip', where: { 'event.action': 'denied', 'destination.port': { in: [22, 3389] } }, count: 3, window: '1m' },
  ])

  it('reads rules from YAML and JSON text, with the same meaning as objects', async () => {
    assert.equal(rulesFromText(yaml).length, 1)
    const b = await build({ shipped: false, rules: yaml })
    await b.run([
      ev(0, { 'event.action': 'changed-password', 'user.target.name': 'adm-zoe' }),
      ev(3, { 'event.action': 'logged-in', 'user.name': 'adm-zoe' }),
    ])
    assert.equal(b.alerts.length, 1)
    assert.equal((b.alerts[0]!.rule as { id: string }).id, 'admin-login-after-reset')
    assert.deepEqual(b.alerts[0]!.user, { target: { name: 'adm-zoe' } })

    const c = await build({ shipped: false, rules: json })
    await c.run([0, 0.2, 0.4].map((m) => ev(m, { 'event.action': 'denied', 'source.ip': '203.0.113.5', 'destination.port': 22 })))
    assert.equal(c.alerts.length, 1)
    assert.equal(c.alerts[0]!.event!.action, 'many-denies')
  })

  it('says where YAML is wrong', () => {
    assert.throws(() => sequences({ rules: 'rules: [\n  - id: x\n    steps: [' }), /option rules: the text is not YAML or JSON/)
    assert.throws(() => sequences({ rules: 'id: x' }), /neither a list of rules nor/)
  })
})
