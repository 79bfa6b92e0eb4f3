import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { LogEvent } from '@beer/core'
import { nagios } from '../src/index.ts'
import { commandLine, PIPE_BUF } from '../src/command-file.ts'
import { byteLength, fitOutput, getField, matches, toCheckResult } from '../src/mapping.ts'
import { resolveOptions, type NagiosSinkOptions } from '../src/options.ts'

const base: NagiosSinkOptions = { commandFile: '/var/lib/nagios4/rw/nagios.cmd' }

function map(event: LogEvent, options: Partial<NagiosSinkOptions> = {}) {
  return toCheckResult(event, resolveOptions({ ...base, ...options }))
}

function alert(extra: Record<string, unknown> = {}, ev: Record<string, unknown> = {}): LogEvent {
  return {
    '@timestamp': '2026-11-27T10:00:00.000Z',
    event: { kind: 'alert', reason: 'alice logged in from NZ', ...ev },
    rule: { name: 'Login from a country new for the user' },
    host: { name: 'web01' },
    ...extra,
  }
}

describe('mapping alerts to check results', () => {
  it('maps an alert to a service check for its rule on its host', () => {
    const r = map(alert({}, { risk_score: 80 }))
    assert.deepEqual(r, { host: 'web01', service: 'Login from a country new for the user', code: 2, text: 'alice logged in from NZ', perfdata: '' })
  })

  it('reads the state from event.risk_score (0-100), then event.severity (1-4), else WARNING', () => {
    const code = (ev: Record<string, unknown>) => map(alert({}, ev)).code
    assert.equal(code({ risk_score: 99 }), 2)
    assert.equal(code({ risk_score: 73 }), 2)
    assert.equal(code({ risk_score: 72 }), 1)
    assert.equal(code({ risk_score: 21 }), 1)
    assert.equal(code({ risk_score: 20 }), 0)
    assert.equal(code({ risk_score: 10, severity: 4 }), 0, 'risk_score wins when both are set')
    assert.equal(code({ severity: 4 }), 2)
    assert.equal(code({ severity: 3 }), 2)
    assert.equal(code({ severity: 2 }), 1)
    assert.equal(code({ severity: 1 }), 1)
    assert.equal(code({ severity: 0 }), 0)
    assert.equal(code({ severity: '3' }), 2, 'numeric strings count')
    assert.equal(code({}), 1, 'an alert without a score is a WARNING')
    assert.equal(code({ severity: 'high' }), 1)
  })

  it('takes custom rules, descending scales, a fixed state and missingState', () => {
    const syslogScale = { state: [{ field: 'log.syslog.severity.code', warning: 4, critical: 2 }] }
    const sev = (n: number) => map(alert({ log: { syslog: { severity: { code: n } } } }), syslogScale).code
    assert.deepEqual([0, 2, 3, 4, 5, 7].map(sev), [2, 2, 1, 1, 0, 0])
    assert.equal(map(alert(), { state: 'CRITICAL' }).code, 2)
    assert.equal(map(alert(), { state: 'UNKNOWN' }).code, 3)
    assert.equal(map(alert(), { missingState: 'UNKNOWN' }).code, 3)
  })

  it('names the host from host.name, then observer.hostname, then defaultHost', () => {
    assert.equal(map(alert()).host, 'web01')
    assert.equal(map(alert({ host: undefined, observer: { hostname: 'fw01' } })).host, 'fw01')
    assert.equal(map(alert({ host: undefined })).host, 'beer')
    assert.equal(map(alert({ host: undefined }), { defaultHost: 'siem' }).host, 'siem')
    assert.equal(map(alert({ related: { hosts: ['', 'db01'] } }), { host: 'related.hosts' }).host, 'db01')
    assert.equal(map(alert({ host: { name: 'web;01|x' } })).host, 'web01x')
  })

  it("service 'rule', a template, a fixed name and 'host' (a host check: OK is UP, anything else DOWN)", () => {
    assert.equal(map(alert(), { service: 'rule' }).service, 'Login from a country new for the user')
    assert.equal(map(alert({ rule: { name: 'x', ruleset: 'beer-logins' } }), { service: 'beer {rule.ruleset}' }).service, 'beer beer-logins')
    assert.equal(map(alert(), { service: 'Security alerts' }).service, 'Security alerts')
    assert.equal(map(alert({ rule: undefined })).service, 'beer', 'no rule name: defaultService')
    assert.equal(map(alert({ rule: undefined }), { defaultService: 'alerts' }).service, 'alerts')
    const h = map(alert({}, { risk_score: 90 }), { service: 'host' })
    assert.equal(h.service, null)
    assert.equal(h.code, 1)
    assert.equal(map(alert({}, { risk_score: 5 }), { service: 'host' }).code, 0)
  })

  it('removes from names what Nagios refuses in object names, and the ; that separates fields', () => {
    const r = map(alert({ rule: { name: "Brute force (5 users, 1 host);\n  'x' = y" } }))
    assert.equal(r.service, 'Brute force 5 users 1 host x y')
    assert.equal(map(alert({ rule: { name: 'a(b)' } }), { illegalObjectNameChars: '' }).service, 'a(b)')
  })

  it('takes the output from event.reason, then message, then rule.name, or a template', () => {
    assert.equal(map(alert()).text, 'alice logged in from NZ')
    assert.equal(map(alert({ message: 'the message' }, { reason: undefined })).text, 'the message')
    assert.equal(map(alert({}, { reason: '' })).text, 'Login from a country new for the user')
    assert.equal(map(alert({ rule: undefined }, { reason: undefined })).text, 'beer alert')
    assert.equal(map(alert({ user: { name: 'alice' } }), { output: '{user.name}: {event.reason} ({missing})' }).text, 'alice: alice logged in from NZ ()')
  })

  it('makes the output one line that Nagios shows as written: newlines, ; | and \\ handled', () => {
    const r = map(alert({}, { reason: 'line one\r\nline two;\tsemi | pipe C:\\new\\x' }))
    // Nagios turns ; into : itself, reads | as the start of perfdata, and \n and \\ as escapes.
    assert.equal(r.text, 'line one line two: semi / pipe C:\\\\new\\\\x')
  })

  it('appends numeric fields as performance data', () => {
    const r = map(alert({}, { risk_score: 80, severity: 3 }), { perfdata: ['event.risk_score', 'event.severity', 'event.reason', 'nope'] })
    assert.equal(r.perfdata, 'risk_score=80 severity=3')
    assert.equal(fitOutput(r, 4095), 'alice logged in from NZ | risk_score=80 severity=3')
  })

  it('cuts output to a byte limit without splitting a character or an escape, keeping perfdata', () => {
    const r = { host: 'h', service: 's', code: 1, text: 'é'.repeat(100) + '\\\\' + 'x'.repeat(10), perfdata: 'risk_score=80' }
    const out = fitOutput(r, 64)
    assert.ok(byteLength(out) <= 64, `${byteLength(out)} bytes`)
    assert.match(out, /^é+\.\.\. \| risk_score=80$/)
    const esc = fitOutput({ ...r, text: 'a'.repeat(40) + '\\\\' + 'b'.repeat(40), perfdata: '' }, 44)
    assert.equal(esc, 'a'.repeat(40) + '...', 'half of an escaped backslash is not left behind')
    assert.equal(fitOutput({ ...r, text: 'short' }, 64), 'short | risk_score=80')
  })

  it('keeps every command line within PIPE_BUF, however long the output', () => {
    const r = map(alert({}, { reason: 'ü'.repeat(10_000) }), { perfdata: ['event.risk_score'] })
    const line = commandLine(r, 1795788000)
    assert.ok(byteLength(line) <= PIPE_BUF)
    assert.ok(line.startsWith('[1795788000] PROCESS_SERVICE_CHECK_RESULT;web01;Login from a country new for the user;1;üü'))
    assert.ok(line.endsWith('...\n'))
    assert.equal(commandLine({ host: 'db01', service: null, code: 1, text: 'down', perfdata: '' }, 5), '[5] PROCESS_HOST_CHECK_RESULT;db01;1;down\n')
  })

  it('matches event.kind alert by default, and any fields given', () => {
    const o = resolveOptions(base)
    assert.equal(matches(alert(), o.match), true)
    assert.equal(matches({ event: { kind: 'event' } }, o.match), false)
    assert.equal(matches({ message: 'x' }, o.match), false)
    const m = resolveOptions({ ...base, match: { 'event.kind': ['alert', 'signal'], 'rule.ruleset': 'beer-logins' } }).match
    assert.equal(matches({ event: { kind: 'signal' }, rule: { ruleset: 'beer-logins' } }, m), true)
    assert.equal(matches({ event: { kind: 'signal' }, rule: { ruleset: 'other' } }, m), false)
    assert.equal(matches({ 'event.kind': 'alert' }, o.match), true, 'a dotted key written flat')
  })

  it('reads nested and flat dotted fields, never prototypes', () => {
    assert.equal(getField({ a: { b: { c: 1 } } }, 'a.b.c'), 1)
    assert.equal(getField({ 'a.b': { c: 2 } }, 'a.b.c'), 2)
    assert.equal(getField({ a: {} }, 'a.constructor'), undefined)
    assert.equal(getField({}, '__proto__'), undefined)
  })
})

describe('nagios() options', () => {
  it('returns a cloneable descriptor of kind sink', () => {
    const d = nagios({ nsca: { host: '192.0.2.10', encryption: 'xor', password: 'secret' }, dedupInterval: '1m' })
    assert.equal(d.kind, 'sink')
    assert.equal(d.name, 'nagios')
    assert.equal(d.export, 'create')
    assert.deepEqual(structuredClone(d), d)
    assert.equal(nagios({ commandFile: '/x', name: 'nagios-dc2' }).name, 'nagios-dc2')
  })

  it('refuses bad options with BEER_ERR_SINK_NAGIOS_OPTIONS naming the option', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{}, /commandFile/],
      [{ commandFile: '/x', nsca: { host: 'h' } }, /exactly one/],
      [{ commandFile: '' }, /commandFile/],
      [{ nsca: { host: 'h', encryption: 'des' } }, /nsca\.encryption/],
      [{ nsca: { host: 'h', port: 70000 } }, /nsca\.port/],
      [{ nsca: { host: 'h', pasword: 'x' } }, /nsca\.pasword/],
      [{ commandFile: '/x', dedupInterval: '5 minutes' }, /dedupInterval/],
      [{ commandFile: '/x', state: [{ field: 'event.severity', warning: 'x', critical: 3 }] }, /state\[0\]\.warning/],
      [{ commandFile: '/x', state: 'BAD' }, /option state/],
      [{ commandFile: '/x', match: { 'event.kind': { $in: ['alert'] } } }, /match/],
      [{ commandFile: '/x', maxQueue: 0 }, /maxQueue/],
      [{ commandFile: '/x', retryMin: 5000, retryMax: 1000 }, /retryMax/],
      [{ commandFile: '/x', colour: 'red' }, /colour/],
      [{ commandFile: '/x', host: 'host name' }, /option host/],
    ]
    for (const [o, re] of bad) {
      assert.throws(() => nagios(o as NagiosSinkOptions), (err: { code?: string; message?: string }) => {
        assert.equal(err.code, 'BEER_ERR_SINK_NAGIOS_OPTIONS')
        assert.match(err.message ?? '', re)
        return true
      }, JSON.stringify(o))
    }
  })
})
