import { test, before, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import tls from 'node:tls'
import { existsSync, mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generate } from 'selfsigned'
import { syslog } from '../src/index.ts'
import type { SyslogOptions, SyslogServer } from '../src/index.ts'
import { memory, received, waitFor } from './fixtures/memory-sink.ts'
import { octetCounted, portOf, sendTcp, sendTls, sendUdp } from './fixtures/clients.ts'

const quiet = () => ({ info() {}, warn() {}, error() {} })

const running: SyslogServer[] = []
async function start(id: string, options: SyslogOptions, delayMs = 0): Promise<SyslogServer> {
  const s = await syslog({ handleSignals: false, logger: quiet, ...options })
    .to(memory(id, delayMs))
    .start()
  running.push(s)
  return s
}
// A failed assertion must not leave a listener open: the test process would never end.
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()))
})

let pems: { ca: string; cert: string; key: string; clientCert: string; clientKey: string }
before(async () => {
  // A CA, a server certificate for localhost and a client certificate, both signed by the CA.
  const ca = await generate([{ name: 'commonName', value: 'beer test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  })
  const signedBy = { key: ca.private, cert: ca.cert }
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: signedBy,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  })
  const client = await generate([{ name: 'commonName', value: 'sender.example' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: signedBy,
    extensions: [{ name: 'extKeyUsage', clientAuth: true }],
  })
  pems = { ca: ca.cert, cert: server.cert, key: server.private, clientCert: client.cert, clientKey: client.private }
})

test('receives UDP and TCP syslog and makes one ECS event per message', async () => {
  const s = await start('udp-tcp', { listen: ['udp://127.0.0.1:0', 'tcp://127.0.0.1:0'] })
  const [udp, tcp] = s.addresses
  await sendUdp(udp!, ['<34>Oct 11 22:14:15 gw01 su[231]: by udp'])
  await sendTcp({ port: portOf(tcp!), host: '127.0.0.1' }, ['<165>1 2026-11-27T10:00:00.123Z web01.example.org app 42 ID47 [exampleSDID@32473 iut="3"] by tcp\n'])
  const events = await waitFor('udp-tcp', 2)
  await s.stop()
  const byMsg = Object.fromEntries(events.map((e) => [e.message, e]))
  const u = byMsg['by udp']!
  assert.equal((u.host as { hostname: string }).hostname, 'gw01')
  assert.deepEqual((u.log as any).syslog.facility, { code: 4, name: 'auth' })
  assert.deepEqual((u.log as any).syslog.severity, { code: 2, name: 'critical' })
  assert.match((u.log as any).source.address, /^127\.0\.0\.1:\d+$/)
  const t = byMsg['by tcp']!
  assert.equal(t['@timestamp'], '2026-11-27T10:00:00.123Z')
  assert.equal((t.log as any).syslog.appname, 'app')
  assert.equal((t.log as any).syslog.msgid, 'ID47')
  assert.deepEqual((t.log as any).syslog.structured_data, { 'exampleSDID@32473': { iut: '3' } })
  assert.match(String(t.event?.created), /^\d{4}-\d\d-\d\dT/)
  const [lu, lt] = s.listeners()
  assert.equal(lu!.received_events, 1)
  assert.equal(lt!.received_events, 1)
  assert.ok(lt!.received_bytes > 50)
})

test('reads octet-counted and LF-framed TCP streams, in pieces as small as one byte', async () => {
  const s = await start('framing', { listen: 'tcp://127.0.0.1:0' })
  const port = portOf(s.addresses[0]!)
  const msgs = Array.from({ length: 50 }, (_, i) => `<13>Nov 27 10:00:00 host app: octet ${i} ünïcödé`)
  const octet = Buffer.from(msgs.map(octetCounted).join(''))
  const pieces = Array.from(octet, (b) => Buffer.from([b]))
  await sendTcp({ port, host: '127.0.0.1' }, pieces)
  await sendTcp({ port, host: '127.0.0.1' }, [msgs.map((m) => m.replace('octet', 'line')).join('\r\n') + '\r\n'])
  const events = await waitFor('framing', 100)
  await s.stop()
  const texts = events.map((e) => e.message)
  for (let i = 0; i < 50; i++) {
    assert.ok(texts.includes(`octet ${i} ünïcödé`), `octet ${i}`)
    assert.ok(texts.includes(`line ${i} ünïcödé`), `line ${i}`)
  }
})

test('listens on IPv6 loopback for UDP and TCP', async () => {
  const s = await start('ipv6', { listen: ['udp://[::1]:0', 'tcp://[::1]:0'] })
  assert.match(s.addresses[0]!, /^udp:\/\/\[::1\]:\d+$/)
  await sendUdp(s.addresses[0]!, ['<13>Nov 27 10:00:00 v6host app: over udp6'], '::1')
  await sendTcp({ port: portOf(s.addresses[1]!), host: '::1' }, ['<13>Nov 27 10:00:00 v6host app: over tcp6\n'])
  const events = await waitFor('ipv6', 2)
  await s.stop()
  assert.ok(events.every((e) => String((e.log as any).source.address).startsWith('[::1]:')))
})

test('receives over a Unix socket created with the configured file mode', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'beer-unix-'))
  const path = join(dir, 'syslog.sock')
  const s = await start('unix', { listen: `unix://${path}`, unixSocketMode: 0o600 })
  assert.equal(statSync(path).mode & 0o777, 0o600)
  await sendTcp({ path }, ['<13>Nov 27 10:00:00 host app: over unix\n'])
  const [e] = await waitFor('unix', 1)
  await s.stop()
  assert.equal(e!.message, 'over unix')
})

test('receives over TLS, and with mTLS refuses and counts clients without a valid certificate', async () => {
  const s = await start('tls', {
    listen: ['tls://127.0.0.1:0'],
    tls: { cert: pems.cert, key: pems.key, ca: pems.ca, clientCertificate: 'require' },
  })
  const port = portOf(s.addresses[0]!)
  await sendTls({ port, host: '127.0.0.1', ca: pems.ca, cert: pems.clientCert, key: pems.clientKey, servername: 'localhost' }, [
    '<13>Nov 27 10:00:00 host app: with a client certificate\n',
  ])
  await waitFor('tls', 1)
  // No client certificate: the handshake is refused (TLS 1.3 reports it after connect, on read).
  await new Promise<void>((resolve) => {
    const c = tls.connect({ port, host: '127.0.0.1', ca: pems.ca, servername: 'localhost' })
    c.on('error', () => resolve())
    c.on('close', () => resolve())
    c.on('secureConnect', () => c.write('<13>Nov 27 10:00:00 host app: should not arrive\n'))
  })
  await new Promise((r) => setTimeout(r, 100))
  const [l] = s.listeners()
  await s.stop()
  assert.deepEqual(received.tls!.map((e) => e.message), ['with a client certificate'])
  assert.equal(l!.errors.BEER_ERR_TLS_HANDSHAKE, 1)
})

test('truncates an oversized message and marks it, or drops and counts it when told to', async () => {
  const s = await start('oversize', { listen: ['udp://127.0.0.1:0', 'tcp://127.0.0.1:0'], maxMessageSize: 1024 })
  const long = '<13>Nov 27 10:00:00 host app: ' + 'x'.repeat(5000)
  await sendUdp(s.addresses[0]!, [long])
  await sendTcp({ port: portOf(s.addresses[1]!), host: '127.0.0.1' }, [long + '\n<13>Nov 27 10:00:00 host app: after\n'])
  const events = await waitFor('oversize', 3)
  await s.stop()
  const cut = events.filter((e) => String(e.message).startsWith('xxx'))
  assert.equal(cut.length, 2)
  for (const e of cut) {
    assert.ok(Buffer.byteLength(String(e.message)) < 1024)
    assert.deepEqual((e.log as any).flags, ['truncated'])
  }
  assert.ok(events.some((e) => e.message === 'after'))

  const d = await start('oversize-drop', { listen: ['udp://127.0.0.1:0', 'tcp://127.0.0.1:0'], maxMessageSize: 1024, oversize: 'drop' })
  await sendUdp(d.addresses[0]!, [long])
  await sendTcp({ port: portOf(d.addresses[1]!), host: '127.0.0.1' }, [long + '\n<13>Nov 27 10:00:00 host app: after\n'])
  await waitFor('oversize-drop', 1)
  await new Promise((r) => setTimeout(r, 50))
  const [lu, lt] = d.listeners()
  await d.stop()
  assert.deepEqual(received['oversize-drop']!.map((e) => e.message), ['after'])
  assert.equal(lu!.dropped_events.oversize, 1)
  assert.equal(lt!.dropped_events.oversize, 1)
})

test('refuses connections over the limit and counts them', async () => {
  const s = await start('limit', { listen: 'tcp://127.0.0.1:0', maxConnections: 2 })
  const port = portOf(s.addresses[0]!)
  const open = await Promise.all(
    [0, 1, 2, 3].map(
      () =>
        new Promise<net.Socket>((resolve) => {
          const c = net.connect({ port, host: '127.0.0.1' }, () => resolve(c))
          c.on('error', () => {})
        }),
    ),
  )
  await new Promise((r) => setTimeout(r, 100))
  const [l] = s.listeners()
  for (const c of open) c.destroy()
  await s.stop()
  assert.equal(l!.dropped_events.connection_limit, 2)
})

test('closes a connection idle for longer than the idle timeout', async () => {
  const s = await start('idle', { listen: 'tcp://127.0.0.1:0', idleTimeout: 100 })
  const c = net.connect({ port: portOf(s.addresses[0]!), host: '127.0.0.1' })
  c.on('error', () => {})
  c.write('<13>Nov 27 10:00:00 host app: half a fra')
  const closed = await Promise.race([
    new Promise((r) => c.on('close', () => r(true))),
    new Promise((r) => setTimeout(() => r(false), 2000)),
  ])
  const [l] = s.listeners()
  await s.stop()
  assert.equal(closed, true)
  assert.equal(l!.errors.BEER_ERR_IDLE_TIMEOUT, 1)
})

test('stop() drains: every message sent before it reaches the sink', async () => {
  const s = await start('drain', { listen: 'tcp://127.0.0.1:0' })
  const port = portOf(s.addresses[0]!)
  const lines = Array.from({ length: 20_000 }, (_, i) => `<13>Nov 27 10:00:00 host app: drain ${i}\n`).join('')
  await sendTcp({ port, host: '127.0.0.1' }, [lines])
  await s.stop()
  assert.equal(received.drain!.length, 20_000)
})

test('a slow sink slows TCP senders instead of losing events or growing memory', async () => {
  const s = await start('slow', { listen: 'tcp://127.0.0.1:0' }, 5)
  const port = portOf(s.addresses[0]!)
  const n = 50_000
  const chunk = (k: number) =>
    Array.from({ length: 1000 }, (_, i) => `<13>Nov 27 10:00:00 host app: slow ${k * 1000 + i}\n`).join('')
  await sendTcp({ port, host: '127.0.0.1' }, Array.from({ length: n / 1000 }, (_, k) => chunk(k)))
  await waitFor('slow', n, 30_000)
  await s.stop()
  const seenIds = new Set(received.slow!.map((e) => e.message))
  assert.equal(seenIds.size, n)
})

test('a listener URL that cannot work is refused with a clear error before anything starts', async () => {
  await assert.rejects(
    syslog({ listen: 'ftp://0.0.0.0:21', handleSignals: false, logger: quiet }).start(),
    (e: { code: string; message: string }) => e.code === 'BEER_ERR_LISTEN_URL' && e.message.includes("'ftp'"),
  )
  await assert.rejects(
    syslog({ listen: 'tcp://::1:514', handleSignals: false, logger: quiet }).start(),
    (e: { code: string }) => e.code === 'BEER_ERR_LISTEN_URL',
  )
  await assert.rejects(
    syslog({ listen: 'udp://127.0.0.1:0', timezone: 'Mars/Olympus', handleSignals: false, logger: quiet }).start(),
    (e: { code: string; message: string }) => e.code === 'BEER_ERR_OPTION' && e.message.includes('Mars/Olympus'),
  )
  const s = await start('busy', { listen: 'tcp://127.0.0.1:0' })
  await assert.rejects(
    syslog({ listen: s.addresses[0]!, handleSignals: false, logger: quiet }).start(),
    (e: { code: string; message: string }) => e.code === 'BEER_ERR_LISTEN' && e.message.includes('already listens'),
  )
  await s.stop()
})

test('status answers with per-listener counters and per-module metrics', async () => {
  const s = await start('status', { listen: 'udp://127.0.0.1:0' })
  await sendUdp(s.addresses[0]!, ['<13>Nov 27 10:00:00 host app: one', '<13>Nov 27 10:00:00 host app: two'])
  await waitFor('status', 2)
  const [answer] = await s.command('status')
  await s.stop()
  const a = answer!.answer as { listeners: { received_events: number }[]; modules: { name: string; metrics: { sent_events: number } }[] }
  assert.equal(a.listeners[0]!.received_events, 2)
  assert.equal(a.modules.find((m) => m.name === 'syslog')!.metrics.sent_events, 2)
  assert.equal(a.modules.find((m) => m.name === 'memory-status')!.metrics.sent_events, 2)
})

test('refuses to take over a Unix socket another server is listening on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'beer-unix-'))
  const path = join(dir, 'syslog.sock')
  const first = await start('unix-first', { listen: `unix://${path}` })
  await assert.rejects(
    syslog({ listen: `unix://${path}`, handleSignals: false, logger: quiet }).start(),
    (e: { code: string }) => e.code === 'BEER_ERR_LISTEN',
  )
  await sendTcp({ path }, ['<13>Nov 27 10:00:00 host app: still mine\n'])
  const [e] = await waitFor('unix-first', 1)
  assert.equal(e!.message, 'still mine')
  await first.stop()
})

test('stop() keeps the last unterminated frame of a connection that stays open past the drain timeout', async () => {
  const s = await start('half-open', { listen: 'tcp://127.0.0.1:0', drainTimeout: 100 })
  const c = net.connect({ port: portOf(s.addresses[0]!), host: '127.0.0.1', allowHalfOpen: true })
  c.on('error', () => {})
  await new Promise((r) => c.once('connect', r))
  c.write('<13>Nov 27 10:00:00 host app: first\n<13>Nov 27 10:00:00 host app: last without newline')
  await waitFor('half-open', 1)
  await s.stop()
  c.destroy()
  assert.deepEqual(received['half-open']!.map((e) => e.message), ['first', 'last without newline'])
})

test('stop() does not wait for a TLS client that never finishes its handshake', async () => {
  const s = await start('tls-stall', {
    listen: 'tls://127.0.0.1:0',
    tls: { cert: pems.cert, key: pems.key },
    drainTimeout: 100,
  })
  const c = net.connect({ port: portOf(s.addresses[0]!), host: '127.0.0.1' })
  c.on('error', () => {})
  await new Promise((r) => c.once('connect', r))
  const t0 = Date.now()
  await s.stop()
  c.destroy()
  assert.ok(Date.now() - t0 < 3000, `stopped in ${Date.now() - t0} ms`)
})

test('UDP messages held while the pipeline is congested are all delivered by stop()', async () => {
  const s = await start('udp-backlog', { listen: 'udp://127.0.0.1:0' }, 30)
  const n = 400
  for (let i = 0; i < n; i += 20) {
    await sendUdp(s.addresses[0]!, Array.from({ length: 20 }, (_, k) => `<13>Nov 27 10:00:00 host app: backlog ${i + k}`))
    await new Promise((r) => setTimeout(r, 2))
  }
  await new Promise((r) => setTimeout(r, 50))
  const [l] = s.listeners()
  await s.stop()
  assert.equal(l!.dropped_events.queue_full ?? 0, 0)
  assert.equal(received['udp-backlog']!.length, l!.received_events)
  assert.equal(l!.received_events, n)
})

test('answers status and commands over the control socket and serves Prometheus metrics', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'beer-control-'))
  const control = join(dir, 'beer.sock')
  const s = await start('endpoints', { listen: 'udp://127.0.0.1:0', control, metrics: '127.0.0.1:0' })
  assert.equal(s.endpoints.control, control)
  assert.equal(statSync(control).mode & 0o777, 0o600)
  await sendUdp(s.addresses[0]!, ['<13>Nov 27 10:00:00 host app: counted'])
  await waitFor('endpoints', 1)
  const { controlRequest } = await import('@beer/control')
  const reply = await controlRequest(control, { id: 7, command: 'status' })
  assert.ok(reply.ok && 'status' in reply)
  const status = reply.status as { listeners: { received_events: number }[]; process: { pid: number } }
  assert.equal(status.listeners[0]!.received_events, 1)
  assert.equal(status.process.pid, process.pid)
  const body = await (await fetch(`${s.endpoints.metrics}/metrics`)).text()
  assert.match(body, /beer_received_events_total\{[^}]*component="memory-endpoints"[^}]*\} 1/)
  assert.equal((await fetch(`${s.endpoints.metrics}/health`)).status, 200)
  await s.stop()
  assert.equal(existsSync(control), false, 'the control socket is removed on stop')
})

test('a second collector on the same control socket fails with the control error, not a crash', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'beer-control-'))
  const control = join(dir, 'beer.sock')
  await start('control-first', { listen: 'udp://127.0.0.1:0', control })
  await assert.rejects(
    syslog({ listen: 'udp://127.0.0.1:0', control, handleSignals: false, logger: quiet }).start(),
    (e: { code: string }) => e.code === 'BEER_ERR_CONTROL_IN_USE',
  )
})

test('stop() does not wait for an idle connection to the metrics endpoint, and foreign Host names are refused', async () => {
  const s = await start('metrics-idle', { listen: 'udp://127.0.0.1:0', metrics: '127.0.0.1:0' })
  const url = new URL(s.endpoints.metrics!)
  const refused = await new Promise<string>((resolve) => {
    const c = net.connect({ port: Number(url.port), host: '127.0.0.1' }, () =>
      c.write('GET /metrics HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n'),
    )
    let text = ''
    c.on('data', (d) => (text += d))
    c.on('close', () => resolve(text))
  })
  assert.match(refused, /^HTTP\/1\.1 403/)
  const idle = net.connect({ port: Number(url.port), host: '127.0.0.1' })
  idle.on('error', () => {})
  await new Promise((r) => idle.once('connect', r))
  idle.write('GET /metr')
  const t0 = Date.now()
  await s.stop()
  assert.ok(Date.now() - t0 < 3000, `stopped in ${Date.now() - t0} ms`)
})
