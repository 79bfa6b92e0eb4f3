import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// The built package: worker threads load the built decoder and fallback (Node 20 workers have no TypeScript loader).
import { syslog } from '@beer/syslog-server'
import { memory, waitFor } from './fixtures/memory-sink.ts'
import { portOf, sendTcp, sendUdp } from './fixtures/clients.ts'
import { slowFile } from './fixtures/slow-file-sink.mjs'

const quiet = (): { info(): void; warn(): void; error(): void } => ({ info() {}, warn() {}, error() {} })

test('the parse stage in two worker threads: header parse and fallback leave the main thread, events arrive in order', async () => {
  const server = await syslog({
    listen: ['tcp://127.0.0.1:0', 'udp://127.0.0.1:0'],
    parsing: { run: 'worker', instances: 2 },
    handleSignals: false,
    logger: quiet,
  })
    .to(memory('workers'))
    .start()
  const lines = Array.from({ length: 20_000 }, (_, i) => `<38>Nov 27 10:00:01 web-${i % 7} sshd[22]: line ${i}\n`)
  await sendTcp({ host: '127.0.0.1', port: portOf(server.addresses[0]!) }, lines)
  await sendUdp(server.addresses[1]!, ['<13>Nov 27 10:00:02 edge-1 app: over udp'])
  const events = await waitFor('workers', 20_001, 20_000)
  const status = server.status()
  await server.stop()
  const tcp = events.filter((e) => String(e.message).startsWith('line '))
  assert.equal(tcp.length, 20_000)
  assert.ok(tcp.every((e, i) => e.message === `line ${i}`), 'one connection keeps its order')
  assert.equal((tcp[5]!.log as { syslog?: { hostname?: string } }).syslog?.hostname, 'web-5')
  assert.ok(events.some((e) => e.message === 'over udp'))
  const rows = status.modules.filter((m) => m.placement === 'worker')
  assert.deepEqual(rows.map((m) => m.name).sort(), ['syslog-header[0]', 'syslog-header[1]', 'syslog[0]', 'syslog[1]'])
  const decoded = rows.filter((m) => m.module === 'syslog-header').reduce((n, m) => n + m.metrics.received_events, 0)
  assert.equal(decoded, 20_001)
  assert.ok(rows.every((m) => m.state === 'running'))
})

test('a slow sink in a worker slows the TCP sender instead of filling memory, and loses nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'beer-slow-'))
  const out = join(dir, 'out.ndjson')
  const server = await syslog({ listen: 'tcp://127.0.0.1:0', handleSignals: false, logger: quiet })
    .to(slowFile(out, 20), { run: 'worker' })
    .start()
  let maxQueue = 0
  const sampler = setInterval(() => {
    const p = server.status().modules.find((m) => m.name === 'pipeline')!
    maxQueue = Math.max(maxQueue, p.queueDepth)
  }, 5)
  const line = `<38>Nov 27 10:00:01 web-1 app: ${'x'.repeat(200)}\n`
  const started = Date.now()
  // 8 MiB: far more than the pipeline may hold, so the sender must be paused by TCP flow control.
  await sendTcp({ host: '127.0.0.1', port: portOf(server.addresses[0]!) }, Array.from({ length: 36_000 }, () => line))
  const sendMs = Date.now() - started
  await server.stop()
  clearInterval(sampler)
  assert.ok(existsSync(out))
  const written = readFileSync(out, 'utf8').trim().split('\n').length
  assert.equal(written, 36_000)
  assert.ok(maxQueue <= 4, `the pipeline held ${maxQueue} batches; at most 4 are allowed`)
  // 36,000 lines in reads of up to 64 KiB make 100+ batches at 20 ms each: the sender waited.
  assert.ok(sendMs > 1000, `the sender finished in ${sendMs} ms; it was not slowed down`)
})
