// @beer/sink-file alone: N events of ~400 bytes through create() + write() in batches of 256,
// awaiting write() whenever it returns a promise (as the runtime does), until close() resolves.
// Peers in the same run: JSON.stringify alone (the floor no NDJSON writer goes below) and the
// obvious hand-written alternative, fs.createWriteStream with one write() per line.
//
//   cd bench && node --import tsx file-sink.bench.ts [--count 1000000] [--no-record]
import { createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs'
import { once } from 'node:events'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { LogEvent, ModuleContext, Sink } from '@beer/core'
import { create } from '../packages/sink-file/src/file.ts'
import type { FileSinkOptions } from '../packages/sink-file/src/index.ts'
import { recordResults } from './lib/record.ts'

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    'no-record': { type: 'boolean', default: false },
  },
})
const COUNT = Number(opts.count)
const BATCH = 256
const TMP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tmp', 'file-sink')

/** A PAN-OS TRAFFIC event as the parser would shape it, ~400 bytes of JSON; documentation IP ranges. */
function event(i: number): LogEvent {
  return {
    '@timestamp': new Date(Date.UTC(2026, 10, 27, 10) + i).toISOString(),
    event: { id: `evt-${i}`, action: 'allow' },
    source: { ip: '192.0.2.10', port: 50_000 + (i % 10_000), user: { name: 'alice' } },
    destination: { ip: '198.51.100.20', port: 443 },
    network: { transport: 'tcp', bytes: 1234 + (i % 977) },
    observer: { hostname: 'fw01', product: 'PAN-OS' },
    log: { syslog: { severity: { code: 6 } } },
    related: { ip: ['192.0.2.10', '198.51.100.20'] },
    seq: i,
  }
}

const POOL = Array.from({ length: 4096 }, (_, i) => event(i))
const LINE_BYTES = POOL.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)) + 1, 0) / POOL.length

function batches(count: number): Iterable<LogEvent[]> {
  return {
    *[Symbol.iterator]() {
      for (let i = 0; i < count; i += BATCH) {
        const b: LogEvent[] = []
        for (let k = i; k < Math.min(count, i + BATCH); k++) b.push(POOL[k % POOL.length]!)
        yield b
      }
    },
  }
}

const context: ModuleContext = {
  name: 'file',
  instance: 0,
  log: { info() {}, warn: console.warn, error: console.error },
  emit() {},
}

interface Result {
  name: string
  seconds: number
  bytes: number
  /** user + system CPU of the whole process (main thread, libuv pool, kernel copies), per event. */
  cpuUs: number
}

async function stringifyOnly(count: number): Promise<number> {
  let bytes = 0
  for (const b of batches(count)) for (const e of b) bytes += JSON.stringify(e).length + 1
  return bytes
}

async function writeStream(count: number, file: string): Promise<number> {
  const out = createWriteStream(file, { flags: 'a' })
  for (const b of batches(count)) {
    let ok = true
    for (const e of b) ok = out.write(JSON.stringify(e) + '\n')
    if (!ok) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return statSync(file).size
}

async function sinkFile(count: number, file: string, options: Omit<FileSinkOptions, 'path'>): Promise<number> {
  const sink = (await create({ path: file, ...options }, context)) as Required<Sink>
  for (const b of batches(count)) {
    const busy = sink.write(b)
    if (busy) await busy
  }
  await sink.close()
  const s = sink.command('status') as { bytesWritten: number; linesWritten: number }
  if (s.linesWritten !== count) throw new Error(`${s.linesWritten} lines written, expected ${count}`)
  return s.bytesWritten
}

const CASES: Array<{ name: string; run: (count: number, file: string) => Promise<number> }> = [
  { name: 'JSON.stringify only (no I/O)', run: (n) => stringifyOnly(n) },
  { name: 'fs.createWriteStream, one write() per line', run: writeStream },
  { name: "@beer/sink-file fsync 'never'", run: (n, f) => sinkFile(n, f, { fsync: 'never' }) },
  { name: "@beer/sink-file defaults (fsync 'interval', 200 ms)", run: (n, f) => sinkFile(n, f, {}) },
  { name: "@beer/sink-file fsync 'interval' + maxBytes 64 MiB", run: (n, f) => sinkFile(n, f, { maxBytes: 64 * 2 ** 20 }) },
  { name: "@beer/sink-file fsync 'batch'", run: (n, f) => sinkFile(n, f, { fsync: 'batch' }) },
]

async function main(): Promise<void> {
  console.log(`${COUNT} events, mean ${LINE_BYTES.toFixed(0)} bytes a line, batches of ${BATCH}`)
  const results: Result[] = []
  for (const c of CASES) {
    rmSync(TMP, { recursive: true, force: true })
    mkdirSync(TMP, { recursive: true })
    await c.run(Math.min(COUNT, 100_000), path.join(TMP, 'warmup.ndjson'))
    const cpu0 = process.cpuUsage()
    const t = performance.now()
    const bytes = await c.run(COUNT, path.join(TMP, 'events.ndjson'))
    const seconds = (performance.now() - t) / 1000
    const cpu = process.cpuUsage(cpu0)
    const cpuUs = (cpu.user + cpu.system) / COUNT
    results.push({ name: c.name, seconds, bytes, cpuUs })
    console.log(
      `${c.name}: ${Math.round(COUNT / seconds).toLocaleString('en-US')} events/s, ${(bytes / 2 ** 20 / seconds).toFixed(0)} MiB/s, ${cpuUs.toFixed(2)} µs CPU/event`,
    )
  }
  rmSync(TMP, { recursive: true, force: true })

  const body = [
    '| writer | events/s | MiB/s | seconds | CPU µs/event |',
    '|---|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${Math.round(COUNT / r.seconds).toLocaleString('en-US')} | ${(r.bytes / 2 ** 20 / r.seconds).toFixed(0)} | ${r.seconds.toFixed(2)} | ${r.cpuUs.toFixed(2)} |`,
    ),
    '',
    `- load: ${COUNT.toLocaleString('en-US')} ECS events (PAN-OS TRAFFIC shape), mean ${LINE_BYTES.toFixed(0)} bytes a line, in batches of ${BATCH}; each writer first runs a discarded warm-up of 100,000.`,
    '- timed: from the first write() until close() resolved (for the sink: every line written, and synced as its fsync policy says); one process, files under bench/tmp/.',
    `- CPU: user + system time of the whole process over the same span, per event; steadier than events/s when other work shares the machine (load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(', ')}).`,
  ].join('\n')
  const command = ['cd bench && node --import tsx file-sink.bench.ts', ...process.argv.slice(2)].join(' ')
  if (opts['no-record']) console.log('not recorded (--no-record)')
  else recordResults('file-sink', '@beer/sink-file write throughput', command, body)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
