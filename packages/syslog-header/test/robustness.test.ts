import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseSyslog, toEvent, type FrameOrigin, type HeaderOptions, type SyslogMessage } from '../src/index.ts'

/** mulberry32: a small seeded PRNG, so that a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SEEDS = [
  '<34>Mar  5 10:15:30 mailhost su: su root failed for alice on /dev/pts/8',
  '<165>1 2024-03-05T10:15:30.123456+01:00 app02.example.net billing 731 INV [meta@32473 a="1" b="x\\"y\\]z"][o@1 ip="192.0.2.10"] \uFEFFinvoice created',
  '<13>1 - - - - - - minimal',
  '<166>Oct 10 2018 12:34:56: %ASA-6-302013: Built outbound TCP connection',
  '<166>Mar  5 2024 10:15:41 asa-fw1 : %ASA-6-302014: Teardown',
  '<13>2019-01-01T10:00:00.123+01:00 host tag: msg',
  '<13>2024-03-05 10:15:47 UTC nas01 smbd[3131]: connect',
  'Feb 22 10:21:43  sshd[1332]: last message repeated 2 times',
  '<13>Mar  5 10:15:49 core-sw1.example.net: sshd[43]: bye',
  '<165>Mar  5 10:16:08 2001:db8::13 ntpd[99]: sync',
  '1,2024/03/05 10:15:54,012801096514,TRAFFIC,end',
  '<14>Mar  5 10:16:00 dc01 MSWinEventLog\t1\tSecurity',
  '<189>Mar  5 10:15:51.250 UTC: %SYS-5-CONFIG_I: Configured',
]
const ALPHABET = '<>[]:"\\= -.,%@/()|{}\t\r\n\0\uFEFF0123456789TZ+abcdefMarOctDecJan1 '

function randomInput(rand: () => number): string {
  const kind = Math.floor(rand() * 4)
  const len = Math.floor(rand() * 120)
  if (kind === 0) {
    // Any UTF-16 code units, lone surrogates included.
    let s = ''
    for (let i = 0; i < len; i++) s += String.fromCharCode(Math.floor(rand() * 0x10000))
    return s
  }
  if (kind === 1) {
    // Bytes decoded as UTF-8, as the listener would hand them over.
    const bytes = new Uint8Array(len)
    for (let i = 0; i < len; i++) bytes[i] = Math.floor(rand() * 256)
    return new TextDecoder().decode(bytes)
  }
  if (kind === 2) {
    // Syslog punctuation soup.
    let s = rand() < 0.5 ? `<${Math.floor(rand() * 300)}>` : ''
    for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)]
    return s
  }
  // A real line with a few characters changed, cut or inserted.
  let s = SEEDS[Math.floor(rand() * SEEDS.length)]!
  const edits = 1 + Math.floor(rand() * 4)
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (s.length + 1))
    const ch = ALPHABET[Math.floor(rand() * ALPHABET.length)]!
    const op = rand()
    s = op < 0.33 ? s.slice(0, at) + ch + s.slice(at) : op < 0.66 ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at)
  }
  return s
}

function assertPlain(value: unknown, path: string): void {
  assert.notEqual(value, undefined, `${path} is undefined`)
  if (value === null || typeof value !== 'object') {
    assert.ok(['string', 'number', 'boolean'].includes(typeof value) || value === null, `${path}: ${typeof value}`)
    if (typeof value === 'number') assert.ok(Number.isFinite(value), `${path} is not finite`)
    return
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertPlain(v, `${path}[${i}]`))
    return
  }
  assert.equal(Object.getPrototypeOf(value), Object.prototype, `${path} has another prototype`)
  for (const key of Object.keys(value)) {
    assert.ok(!['__proto__', 'constructor', 'prototype'].includes(key), `${path} has key ${key}`)
    assertPlain((value as Record<string, unknown>)[key], `${path}.${key}`)
  }
}

function assertWellFormed(m: SyslogMessage, raw: string): void {
  assert.deepEqual(Object.keys(m), [
    'raw', 'receivedAt', 'transport', 'sourceAddress', 'sourcePort', 'listener', 'format', 'pri', 'facility', 'severity', 'version',
    'timestamp', 'timestampText', 'timestampHasZone', 'hostname', 'appname', 'procid', 'msgid', 'structuredData', 'message', 'truncated',
  ])
  assert.equal(m.raw, raw)
  assert.ok(['rfc5424', 'rfc3164', 'none'].includes(m.format))
  assert.ok(Number.isInteger(m.pri) && m.pri >= -1 && m.pri <= 191)
  assert.equal(m.facility, m.pri < 0 ? -1 : m.pri >> 3)
  assert.equal(m.severity, m.pri < 0 ? -1 : m.pri & 7)
  assert.ok(m.timestamp === -1 || (Number.isInteger(m.timestamp) && Math.abs(m.timestamp) <= 8.64e15))
  assert.equal(m.timestampText === '', m.timestampText === '' && !m.timestampHasZone)
  for (const k of ['timestampText', 'hostname', 'appname', 'procid', 'msgid', 'message'] as const) {
    assert.equal(typeof m[k], 'string', k)
    assert.ok(raw.includes(m[k]), `${k} ${JSON.stringify(m[k])} is not taken from the frame`)
  }
  assert.ok(!/[\r\n\0]$/.test(m.message), 'trailing CR/LF/NUL')
  if (m.format === 'none') {
    assert.equal(m.pri, -1)
    assert.equal(raw.replace(/[\r\n\0]+$/, ''), m.message)
  }
  if (m.format !== 'rfc5424') assert.equal(m.structuredData, null)
  if (m.structuredData !== null) assertPlain(m.structuredData, 'structuredData')
  // A frame that starts with a valid PRI is never thrown away as format 'none' (which would mean the parser failed).
  const pri = /^<(\d{1,3})>/.exec(raw)
  if (pri && Number(pri[1]) <= 191) assert.notEqual(m.format, 'none', 'a frame with a valid PRI read as none')
}

test('parseSyslog never throws and returns a well-formed message for random input', () => {
  const rand = prng(20240305)
  const zones: (HeaderOptions | undefined)[] = [undefined, { timezone: 'UTC' }, { timezone: '+02:00' }, { timezone: 'Europe/Zurich' }]
  for (let i = 0; i < 5000; i++) {
    const raw = randomInput(rand)
    const origin: FrameOrigin = {
      receivedAt: Date.UTC(2000, 0, 1) + Math.floor(rand() * 1e12),
      transport: i % 2 ? 'udp' : 'unix',
      sourceAddress: i % 2 ? '203.0.113.8' : '',
      sourcePort: i % 2 ? 514 : 0,
      listener: i % 2 ? 'udp://0.0.0.0:514' : 'unix:///dev/log',
      truncated: rand() < 0.1,
    }
    let m: SyslogMessage
    try {
      m = parseSyslog(raw, origin, zones[i % zones.length])
    } catch (err) {
      assert.fail(`threw on ${JSON.stringify(raw)}: ${String(err)}`)
    }
    try {
      assertWellFormed(m, raw)
      const event = toEvent(m, { original: rand() < 0.5 })
      assertPlain(event, 'event')
      assert.deepEqual(structuredClone(event), event)
      assert.deepEqual(JSON.parse(JSON.stringify(event)), event)
    } catch (err) {
      assert.fail(`on input ${JSON.stringify(raw)}: ${(err as Error).message}`)
    }
  }
})

test('parseSyslog never throws even when called with arguments outside its types', () => {
  const origin = { receivedAt: 0, transport: 'udp', sourceAddress: '', sourcePort: 0, listener: '' } as FrameOrigin
  for (const raw of [undefined, null, 42, {}, Symbol('x')] as unknown as string[]) {
    const m = parseSyslog(raw, origin)
    assert.equal(m.format, 'none')
    assert.equal(m.message, '')
  }
  const m = parseSyslog('<13>x', undefined as unknown as FrameOrigin)
  assert.equal(m.format, 'none')
  assert.equal(m.message, '<13>x')
})
