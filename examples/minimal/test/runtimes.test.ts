// The minimal example as a user runs it, under each runtime the README promises: a real child
// process, real UDP and TCP sockets on loopback, the NDJSON file it writes, and a clean SIGTERM.
// Node runs the built dist/main.js; Bun and Deno run main.ts itself, resolving the @beer packages
// through node_modules to their built dist/ files as any user's project would.
import { after } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { octetCounted, sendTcp, sendUdp, until } from '../../../packages/syslog-server/test/fixtures/clients.ts'
import { cleanUp, eachRuntime, fileText, launcher, portOf, readEvents, root, startCollector, tempDir } from './collector.ts'
import type { Launch, Runnable, Runtime } from './collector.ts'

after(cleanUp)

// The commands the README gives users, run from the repository root.
function example(runtime: Runtime): Launch {
  if (runtime === 'Node') {
    const main = join(root, 'examples/minimal/dist/main.js')
    if (!existsSync(main)) return { missing: `${main} is not built: run npm run build` }
    return launcher('Node')('examples/minimal/dist/main.js')
  }
  return launcher(runtime)('examples/minimal/main.ts')
}

async function roundTrip(launch: Runnable, t: TestContext): Promise<void> {
  const dir = tempDir()
  const out = join(dir, 'events.ndjson')
  const control = join(dir, 'beer.sock')
  const collector = await startCollector(
    launch,
    { BEER_LISTEN: 'udp://127.0.0.1:0,tcp://127.0.0.1:0', BEER_OUT: out, BEER_CONTROL: control },
    { control },
  )
  const { output } = collector
  const [udpPort, tcpPort] = [portOf(collector.addresses, 'udp'), portOf(collector.addresses, 'tcp')]

  const udpId = randomUUID()
  const tcpId = randomUUID()
  try {
    await sendUdp(`udp://127.0.0.1:${udpPort}`, [`<34>Oct 11 22:14:15 udp-sender su[231]: udp ${udpId}`])
    await sendTcp({ host: '127.0.0.1', port: tcpPort }, [
      octetCounted(`<165>1 2026-11-27T10:00:00.123Z tcp-sender.example app 42 ID47 - tcp ${tcpId}`),
    ])
  } catch (err) {
    throw new Error(`sending to the example failed: ${(err as Error).message}\n${output()}`, { cause: err })
  }
  await until('both events in the output file', 15_000, () => {
    const messages = readEvents(out).map((e) => e.message)
    return messages.includes(`udp ${udpId}`) && messages.includes(`tcp ${tcpId}`) ? true : undefined
  }, () => `${output()}\n${fileText(out)}`)

  // The control socket answers on this runtime too, with the listeners' counters.
  const status = await collector.status()
  assert.deepEqual(status.listeners.map((l) => l.received_events), [1, 1])

  assert.deepEqual(await collector.stop(), { code: 0, signal: null }, `exit after SIGTERM\n${output()}`)

  const events = readEvents(out)
  const udp = events.filter((e) => e.message === `udp ${udpId}`)
  const tcp = events.filter((e) => e.message === `tcp ${tcpId}`)
  assert.equal(udp.length, 1, `one UDP event\n${JSON.stringify(events)}`)
  assert.equal(tcp.length, 1, `one TCP event\n${JSON.stringify(events)}`)
  assert.equal(udp[0]!.host?.hostname, 'udp-sender')
  assert.equal(udp[0]!.log?.syslog?.hostname, 'udp-sender')
  assert.match(String(udp[0]!.log?.source?.address), /^127\.0\.0\.1:\d+$/)
  assert.equal(tcp[0]!.host?.hostname, 'tcp-sender.example')
  assert.equal(tcp[0]!.log?.syslog?.hostname, 'tcp-sender.example')
  assert.match(String(tcp[0]!.log?.source?.address), /^127\.0\.0\.1:\d+$/)
  t.diagnostic(`${[launch.command, ...launch.args].join(' ')} (${launch.version})`)
}

const CONNECTIONS = 3
const PER_CONNECTION = 100

/**
 * BEER_PARSE_WORKERS=2: the header parse and the fallback parser run in two worker threads. Every
 * message must come back parsed, both instances must have parsed some, and the control socket
 * must show them as worker modules.
 */
async function parseWorkers(launch: Runnable, t: TestContext): Promise<void> {
  const dir = tempDir()
  const out = join(dir, 'events.ndjson')
  const control = join(dir, 'beer.sock')
  const collector = await startCollector(
    launch,
    { BEER_LISTEN: 'udp://127.0.0.1:0,tcp://127.0.0.1:0', BEER_OUT: out, BEER_CONTROL: control, BEER_PARSE_WORKERS: '2' },
    { control },
  )
  const { output } = collector
  const [udpPort, tcpPort] = [portOf(collector.addresses, 'udp'), portOf(collector.addresses, 'tcp')]

  // RFC 5424 and RFC 3164 in turn, with a host name of their own, so a mixed-up parse shows.
  const run = randomUUID()
  const expected = new Map<string, string>()
  const connections = Array.from({ length: CONNECTIONS }, (_, c) =>
    Array.from({ length: PER_CONNECTION }, (_, i) => {
      const n = c * PER_CONNECTION + i
      const message = `tcp ${run} ${n}`
      const host = `host-${n}.example`
      expected.set(message, host)
      return octetCounted(
        n % 2 === 0 ? `<165>1 2026-11-27T10:00:00.123Z ${host} app 42 ID47 - ${message}` : `<34>Oct 11 22:14:15 ${host} su[231]: ${message}`,
      )
    }),
  )
  const udpMessage = `udp ${run}`
  expected.set(udpMessage, 'udp-sender')
  try {
    // Connections at once: each read is a batch of its own, spread over the two workers.
    await Promise.all(connections.map((pieces) => sendTcp({ host: '127.0.0.1', port: tcpPort }, pieces)))
    await sendUdp(`udp://127.0.0.1:${udpPort}`, [`<34>Oct 11 22:14:15 udp-sender su[231]: ${udpMessage}`])
  } catch (err) {
    throw new Error(`sending to the example failed: ${(err as Error).message}\n${output()}`, { cause: err })
  }
  const total = expected.size
  await until(`${total} events in the output file`, 15_000, () => (readEvents(out).length >= total ? true : undefined), () => {
    const seen = new Set(readEvents(out).map((e) => e.message))
    const missing = [...expected.keys()].filter((m) => !seen.has(m))
    return `${output()}\n${missing.length} missing, e.g. ${missing.slice(0, 5).join(' | ')}\n${fileText(out)}`
  })

  const status = await collector.status()
  const diagnostics = `${JSON.stringify(status, null, 1)}\n${output()}`
  assert.deepEqual(status.listeners.map((l) => l.received_events), [1, CONNECTIONS * PER_CONNECTION], diagnostics)
  const hosted = status.modules.filter((m) => m.placement !== 'inline')
  assert.deepEqual(
    hosted.map((m) => ({ name: m.name, module: m.module, kind: m.kind, placement: m.placement, instance: m.instance, state: m.state })),
    [0, 1].flatMap((i) => [
      { name: `syslog-header[${i}]`, module: 'syslog-header', kind: 'decoder', placement: 'worker', instance: i, state: 'running' },
      // The product parsers of main.ts, in order, then the plain-syslog fallback: one parse unit per thread.
      ...['paloalto', 'cisco-asa', 'linux-auth', 'windows', 'cef', 'syslog'].map((module) => ({
        name: `${module}[${i}]`, module, kind: 'parser', placement: 'worker', instance: i, state: 'running',
      })),
    ]),
    diagnostics,
  )
  // Threads of the collector's own process: one per instance, none restarted.
  const decoders = hosted.filter((m) => m.kind === 'decoder')
  for (const m of hosted) {
    assert.equal(m.pid, status.process.pid, `${m.name} runs in the collector's process\n${diagnostics}`)
    assert.ok(typeof m.threadId === 'number' && m.threadId > 0, `${m.name} has a thread id\n${diagnostics}`)
    assert.equal(m.restarts, 0, `${m.name} restarts\n${diagnostics}`)
  }
  assert.notEqual(decoders[0]!.threadId, decoders[1]!.threadId, diagnostics)
  // The least busy instance takes each batch, in turn when both are idle: both parsed some, and
  // together all of them.
  for (const m of decoders) assert.ok(m.metrics.received_events > 0, `${m.name} parsed nothing\n${diagnostics}`)
  assert.equal(decoders.reduce((n, m) => n + m.metrics.received_events, 0), total, diagnostics)

  assert.deepEqual(await collector.stop(), { code: 0, signal: null }, `exit after SIGTERM\n${output()}`)

  // Each message exactly once, parsed: the host name from its header, the message after it.
  const events = readEvents(out)
  assert.equal(events.length, total, `events in the file\n${fileText(out)}`)
  const byMessage = new Map(events.map((e) => [e.message, e]))
  for (const [message, host] of expected) {
    const e = byMessage.get(message)
    assert.ok(e, `no event for '${message}'\n${fileText(out)}`)
    assert.equal(e.log?.syslog?.hostname, host, JSON.stringify(e))
    assert.equal(e.host?.hostname, host, JSON.stringify(e))
    assert.match(String(e.log?.source?.address), /^127\.0\.0\.1:\d+$/, JSON.stringify(e))
  }
  t.diagnostic(
    `${[launch.command, ...launch.args].join(' ')} (${launch.version}): ${decoders.map((m) => `${m.name} parsed ${m.metrics.received_events}`).join(', ')}`,
  )
}

eachRuntime(
  (name) => `runs the minimal example under ${name}: a UDP and a TCP message reach the file, SIGTERM exits 0`,
  example,
  roundTrip,
)

eachRuntime(
  (name) => `runs the minimal example under ${name} with BEER_PARSE_WORKERS=2: ${CONNECTIONS * PER_CONNECTION + 1} messages parsed in two worker threads, SIGTERM exits 0`,
  example,
  parseWorkers,
)
