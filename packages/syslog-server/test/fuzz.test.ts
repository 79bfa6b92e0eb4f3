import { test } from 'node:test'
import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import net from 'node:net'
import { randomInt } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import type { LogEvent } from '@beer/core'
import { syslog } from '../src/index.ts'
import type { ListenerStatus, SyslogServer } from '../src/index.ts'
import { memory, received } from './fixtures/memory-sink.ts'
import { octetCounted, portOf, sendTcp, sendUdp } from './fixtures/clients.ts'
import {
  Random,
  hostileDatagram,
  hostileLine,
  hostileText,
  longLine,
  mutatedSyslog,
  randomPieces,
} from './fixtures/hostile-input.ts'

// FUZZ_SEED=<n> replays the bytes of a failed run (the order in which concurrent senders
// interleave still varies from run to run).
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : randomInt(2 ** 32)

const MAX_MESSAGE = 65536
const IDLE_TIMEOUT = 2000
const UDP_DATAGRAMS = 63_000
const UDP_WELL_FORMED_EVERY = 21
const TCP_HOSTILE_FRAMES = 42_000
const TCP_WORKERS = 6
const SHORT_LIVED = 2_000
const WELL_FORMED_TCP_CONNECTIONS = 150
const WELL_FORMED_PER_CONNECTION = 20
const MEGABYTE_LINES = 12
const MiB = 1024 * 1024
const RSS_GROWTH_LIMIT = 300 * MiB
// UDP pace: the sender waits while what it sent and the listener has not yet read could fill the
// socket's receive buffer. Linux charges each datagram its buffer's true size (payload plus about
// 1 KiB of bookkeeping; counted here as twice the payload plus 1 KiB to be safe), and gives at
// least 2 × 208 KiB even when net.core.rmem_max refuses the 8 MiB the listener asks for. Below this
// budget no datagram can be lost to an overflowing buffer, so every one can be asserted on.
const UDP_WINDOW = 192 * 1024
const udpCost = (payload: number): number => 2 * payload + 1024

const quiet = () => ({ info() {}, warn() {}, error() {} })
const tick = (): Promise<void> => new Promise((r) => setImmediate(r))
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const wellFormed3164 = (id: string): string => `<13>Nov 27 10:00:00 host.example app: WELLFORMED-${id}`
const wellFormed5424 = (id: string): string => `<165>1 2026-11-27T10:00:00.000Z host.example app 42 ID47 - WELLFORMED-${id}`
const WELL_FORMED = /^WELLFORMED-(.+)$/

// Code points U+D800 to U+DFFF matched one by one only when unpaired (the `u` flag pairs them).
const LONE_SURROGATE = /\p{Cs}/u

function loneSurrogateIn(value: unknown): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? value : undefined
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) {
      const found = loneSurrogateIn(v)
      if (found !== undefined) return found
    }
  }
  return undefined
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ port, host: '127.0.0.1' })
    c.once('error', reject)
    c.once('connect', () => {
      c.off('error', reject)
      // Without this, Nagle's algorithm and delayed ACKs stall every small write for up to 40 ms.
      c.setNoDelay(true)
      c.on('error', () => {})
      resolve(c)
    })
  })
}

/** Writes each piece on its own and yields now and then, so the server reads at those boundaries. */
async function writePieces(c: net.Socket, pieces: Buffer[], rng: Random): Promise<void> {
  for (const p of pieces) {
    if (c.destroyed) return
    if (!c.write(p)) {
      await new Promise<void>((r) => {
        const done = (): void => {
          c.off('drain', done)
          c.off('close', done)
          r()
        }
        c.on('drain', done)
        c.on('close', done)
      })
    } else if (rng.chance(0.5)) await tick()
  }
}

type Close = 'end' | 'destroy' | 'reset'

async function close(c: net.Socket, how: Close): Promise<void> {
  const closed = c.closed ? Promise.resolve() : new Promise<void>((r) => c.once('close', () => r()))
  if (how === 'end') c.end()
  else if (how === 'destroy') c.destroy()
  else c.resetAndDestroy()
  await closed
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0)
}

test('survives 100,000 hostile messages over UDP and TCP, losing no well-formed message and holding memory bounded', { timeout: 120_000 }, async () => {
  console.log(`fuzz seed ${seed} (FUZZ_SEED=${seed} replays it)`)
  const started = Date.now()
  let server: SyslogServer | undefined
  const timers: NodeJS.Timeout[] = []
  // Cleared when sending is over, or when the test fails: every sender stops then.
  let sending = true
  try {
    server = await syslog({
      listen: ['udp://127.0.0.1:0', 'tcp://127.0.0.1:0'],
      handleSignals: false,
      logger: quiet,
      maxMessageSize: MAX_MESSAGE,
      idleTimeout: IDLE_TIMEOUT,
    })
      .to(memory('fuzz'))
      .start()
    const s = server
    const [udpAddress, tcpAddress] = s.addresses
    const udpPort = portOf(udpAddress!)
    const tcpPort = portOf(tcpAddress!)
    const udpStatus = (): ListenerStatus => s.listeners()[0]!
    const tcpStatus = (): ListenerStatus => s.listeners()[1]!

    // The server runs in this process: its memory is this process's memory.
    const gc = (globalThis as { gc?: () => void }).gc
    gc?.()
    const base = process.memoryUsage()
    let peakRss = base.rss
    let peakHeap = base.heapUsed
    timers.push(
      setInterval(() => {
        const m = process.memoryUsage()
        if (m.rss > peakRss) peakRss = m.rss
        if (m.heapUsed > peakHeap) peakHeap = m.heapUsed
      }, 50),
    )

    const sent = {
      udpHostile: 0,
      udpWellFormed: 0,
      udpEmpty: 0,
      udpSendErrors: 0,
      udpStalls: 0,
      tcpHostileFrames: 0,
      tcpHostileConnections: 0,
      shortLived: 0,
      slow: 0,
      megabyteLines: 0,
      tcpWellFormed: 0,
      resync: 0,
    }
    const expectedUdp = new Set<string>()
    const expectedTcp = new Set<string>()
    const hostileSent = (): number => sent.udpHostile + sent.tcpHostileFrames + sent.shortLived + sent.slow
    const udpHostileTotal = UDP_DATAGRAMS - Math.ceil(UDP_DATAGRAMS / UDP_WELL_FORMED_EVERY)
    /** How far the UDP and TCP hostile senders are, 0 to 1: the others pace themselves on it. */
    const progress = (): number =>
      Math.min(sent.udpHostile / udpHostileTotal, 1) * 0.5 + Math.min(sent.tcpHostileFrames / TCP_HOSTILE_FRAMES, 1) * 0.5

    // Events are checked and let go as they arrive, so the sink's list does not count as server memory.
    const seen = new Map<string, number>()
    const problems = { roundTrip: [] as string[], loneSurrogate: [] as string[], badWellFormed: [] as string[] }
    let events = 0
    let truncatedEvents = 0
    const drain = (): void => {
      const batch = received.fuzz?.splice(0) ?? []
      for (const e of batch) {
        events++
        const json = JSON.stringify(e)
        if (!isDeepStrictEqual(JSON.parse(json), e) && problems.roundTrip.length < 5) problems.roundTrip.push(json.slice(0, 300))
        const lone = loneSurrogateIn(e)
        if (lone !== undefined && problems.loneSurrogate.length < 5) problems.loneSurrogate.push(JSON.stringify(lone.slice(0, 200)))
        if (((e.log as { flags?: string[] } | undefined)?.flags ?? []).includes('truncated')) truncatedEvents++
        const m = typeof e.message === 'string' ? WELL_FORMED.exec(e.message) : null
        if (m === null) continue
        const id = m[1]!
        seen.set(id, (seen.get(id) ?? 0) + 1)
        if ((e as LogEvent & { host?: { hostname?: string } }).host?.hostname !== 'host.example' && problems.badWellFormed.length < 5) {
          problems.badWellFormed.push(json.slice(0, 300))
        }
      }
    }
    timers.push(setInterval(drain, 20))

    // A few connections send the start of a frame, then a byte now and then while everything else
    // runs, and then nothing: the idle timeout must close them and free what they hold.
    const slowStarts = [
      '<13>Nov 27 10:00:00 host.example app: never finished ',
      `4000 <13>Nov 27 10:00:00 host.example app: `,
      '999999999 <13>',
      '1234',
    ]
    const slow = slowStarts.map(async (start, i) => {
      const c = await connect(tcpPort)
      const closedAt = new Promise<number>((r) => c.once('close', () => r(Date.now())))
      c.write(start)
      sent.slow++
      let lastWrite = Date.now()
      while (sending && !c.destroyed) {
        await sleep(300)
        if (!sending || c.destroyed) break
        c.write(i === 3 ? '5' : 'x')
        lastWrite = Date.now()
      }
      const closedEarly = c.destroyed
      let giveUp: NodeJS.Timeout | undefined
      const at = await Promise.race([closedAt, new Promise<number>((r) => (giveUp = setTimeout(() => r(-1), IDLE_TIMEOUT + 10_000)))])
      clearTimeout(giveUp)
      if (at < 0) c.destroy()
      return { closed: at >= 0, closedEarly, silentMs: at - lastWrite }
    })

    const udp = (async () => {
      const socket = dgram.createSocket('udp4')
      await new Promise<void>((r) => socket.connect(udpPort, '127.0.0.1', () => r()))
      const rng = new Random(seed, 1)
      // Datagrams sent and their cost, oldest first, until the listener has accounted for them
      // (as an event or as a counted drop).
      const inFlight: number[] = []
      let inFlightCost = 0
      let settled = 0
      const accounted = (): number => {
        const l = udpStatus()
        return l.received_events + sum(l.dropped_events)
      }
      for (let i = 0; i < UDP_DATAGRAMS && sending; i++) {
        let payload: Buffer
        if (i % UDP_WELL_FORMED_EVERY === 0) {
          const id = `u${sent.udpWellFormed++}`
          expectedUdp.add(id)
          payload = Buffer.from(rng.chance(0.5) ? wellFormed3164(id) : wellFormed5424(id))
        } else {
          sent.udpHostile++
          payload = hostileDatagram(rng)
          let end = payload.length
          while (end > 0 && (payload[end - 1] === 0x0a || payload[end - 1] === 0x0d || payload[end - 1] === 0x00)) end--
          if (end === 0) sent.udpEmpty++
        }
        socket.send(payload, (err) => {
          if (err) sent.udpSendErrors++
        })
        inFlight.push(udpCost(payload.length))
        inFlightCost += udpCost(payload.length)
        let waitedSince = 0
        for (;;) {
          for (const done = accounted(); settled < done; settled++) inFlightCost -= inFlight.shift()!
          if (inFlightCost < UDP_WINDOW) break
          if (waitedSince === 0) waitedSince = Date.now()
          else if (Date.now() - waitedSince > 3000) {
            // Something was lost after all: go on, the final accounting will say how much.
            sent.udpStalls++
            settled += inFlight.length
            inFlight.length = 0
            inFlightCost = 0
            break
          }
          await tick()
        }
      }
      await new Promise<void>((r) => socket.close(() => r()))
    })()

    const wellFormedTcp = (async () => {
      for (let k = 0; k < WELL_FORMED_TCP_CONNECTIONS && sending; k++) {
        // Spread over the whole run, between the hostile connections.
        while (progress() < k / WELL_FORMED_TCP_CONNECTIONS && sending) await sleep(5)
        const rng = new Random(seed, 2 + k)
        const framing = rng.pick(['lf', 'crlf', 'octet', 'nul'] as const)
        const frames = Array.from({ length: WELL_FORMED_PER_CONNECTION }, () => {
          const id = `t${sent.tcpWellFormed++}`
          expectedTcp.add(id)
          const line = rng.chance(0.5) ? wellFormed3164(id) : wellFormed5424(id)
          return framing === 'octet' ? octetCounted(line) : framing === 'lf' ? line + '\n' : framing === 'crlf' ? line + '\r\n' : line + '\0'
        })
        const c = await connect(tcpPort)
        await writePieces(c, randomPieces(rng, Buffer.from(frames.join(''))), rng)
        // destroy() throws away what is not yet handed to the kernel: wait for that first.
        await new Promise<void>((r) => c.write(Buffer.alloc(0), () => r()))
        await close(c, rng.chance(0.8) ? 'end' : 'destroy')
      }
    })()

    const wellFormedResync = (parts: Buffer[]): void => {
      const id = `r${sent.resync++}`
      expectedTcp.add(id)
      parts.push(Buffer.from(wellFormed3164(id) + '\n'))
    }

    /** One hostile TCP connection; returns how it should close (a reset would lose well-formed lines). */
    const scenario = (rng: Random, parts: Buffer[]): { frames: number; close: Close } => {
      const k = rng.int(100)
      let frames = 0
      if (k < 40) {
        // LF framing: hostile lines, each ending with LF, some followed by a well-formed line that
        // must arrive; a last line may have no LF before the connection closes.
        parts.push(Buffer.from(rng.pick(['<', 'x', '<13>', ' ', '\0<'])))
        let resync = false
        for (let n = rng.range(20, 150); n > 0; n--) {
          parts.push(rng.chance(0.003) ? longLine(rng, rng.range(70_000, 300_000)) : hostileLine(rng), Buffer.from(rng.pick(['\n', '\r\n'])))
          frames++
          if (rng.chance(0.15)) {
            wellFormedResync(parts)
            resync = true
          }
        }
        if (rng.chance(0.3)) {
          parts.push(hostileLine(rng))
          frames++
        }
        return { frames, close: resync ? 'end' : rng.pick(['end', 'end', 'destroy', 'reset']) }
      }
      if (k < 65) {
        // Octet counting with counts that lie: too small, too large, huge, too many digits, none.
        for (let n = rng.range(20, 150); n > 0; n--) {
          const body = rng.chance(0.5) ? mutatedSyslog(rng) : hostileText(rng, 400, false)
          const len = body.length
          const h = rng.int(20)
          const header =
            h < 8
              ? `${len} `
              : h < 11
                ? `${Math.max(1, len - rng.range(1, 30))} `
                : h < 14
                  ? `${len + rng.range(1, 60)} `
                  : h < 15
                    ? rng.pick(['999999999 ', '9999999999 ', '65537 '])
                    : h < 17
                      ? rng.pick(['99999999999 ', '123456789012345678901234567890 ', '0 ', '00012 ', '-5 '])
                      : rng.pick([`${len}`, `${len}\t`, `${len}<`, ' ', ''])
          parts.push(Buffer.from(header), body)
          frames++
        }
        return { frames, close: rng.pick(['end', 'end', 'destroy', 'reset']) }
      }
      if (k < 73) {
        parts.push(rng.bytes(rng.range(1, 65536)))
        return { frames: 1, close: rng.pick(['end', 'destroy', 'reset']) }
      }
      if (k < 80) {
        // Truncated frames: the connection closes in the middle of one.
        for (let n = rng.range(0, 10); n > 0; n--) {
          const body = mutatedSyslog(rng)
          parts.push(Buffer.from(`${body.length} `), body)
          frames++
        }
        const body = mutatedSyslog(rng)
        parts.push(
          rng.pick([
            Buffer.concat([Buffer.from(`${body.length + 100} `), body]),
            Buffer.from(`${body.length}`),
            Buffer.from(`${body.length} `),
            body.subarray(0, rng.int(body.length + 1)),
          ]),
        )
        return { frames: frames + 1, close: 'end' }
      }
      if (k < 85) {
        // A huge declared length, then much less than that.
        parts.push(Buffer.from(rng.pick(['999999999 ', '9999999999 ', `${MAX_MESSAGE + 1} `])), Buffer.from('<13>Nov 27 10:00:00 host app: '), longLine(rng, rng.range(10, 200_000)))
        return { frames: 1, close: rng.pick(['end', 'destroy']) }
      }
      if (k < 90) {
        // NUL as the trailer, with the first one in the first chunk; then hostile frames.
        parts.push(Buffer.from('<13>\0'))
        for (let n = rng.range(20, 100); n > 0; n--) {
          parts.push(hostileLine(rng), Buffer.from(rng.pick(['\0', '\n', '\0\0'])))
          frames++
        }
        return { frames, close: rng.pick(['end', 'destroy']) }
      }
      if (k < 92 && sent.megabyteLines < MEGABYTE_LINES) {
        // A 1 MiB line, then either the connection closes without an LF, or an LF and a well-formed line.
        sent.megabyteLines++
        parts.push(Buffer.from('<'), longLine(rng, MiB))
        if (rng.chance(0.5)) {
          parts.push(Buffer.from('\n'))
          wellFormedResync(parts)
        }
        return { frames: 1, close: 'end' }
      }
      // Many small frames of every kind on one connection, no framing promised.
      for (let n = rng.range(20, 100); n > 0; n--) {
        parts.push(hostileText(rng, 120, false))
        frames++
      }
      return { frames, close: rng.pick(['end', 'destroy', 'reset']) }
    }

    let nextScenario = 0
    const hostileTcp = Array.from({ length: TCP_WORKERS }, async () => {
      while (sent.tcpHostileFrames < TCP_HOSTILE_FRAMES && sending) {
        const rng = new Random(seed, 1_000_000 + nextScenario++)
        const parts: Buffer[] = []
        const { frames, close: how } = scenario(rng, parts)
        sent.tcpHostileFrames += frames
        sent.tcpHostileConnections++
        const c = await connect(tcpPort)
        const bytes = Buffer.concat(parts)
        await writePieces(c, randomPieces(rng, bytes, bytes.length > 100_000 ? 65536 : 16384), rng)
        await close(c, how)
      }
    })

    const shortLived = (async () => {
      const one = async (i: number): Promise<void> => {
        const rng = new Random(seed, 3_000_000 + i)
        const c = await connect(tcpPort)
        const k = rng.int(5)
        if (k > 0) {
          c.write(k === 4 ? Buffer.from(rng.pick(['1', '12345', '999999999', '5 <1'])) : rng.bytes(rng.range(1, 64)))
          sent.shortLived++
        }
        await close(c, rng.pick(['end', 'destroy', 'reset']))
      }
      for (let i = 0; i < SHORT_LIVED && sending; i += 4) {
        while (progress() < i / SHORT_LIVED && sending) await sleep(5)
        await Promise.all([0, 1, 2, 3].map((j) => one(i + j)))
      }
    })()

    await Promise.all([udp, wellFormedTcp, ...hostileTcp, shortLived])
    const sendingMs = Date.now() - started
    sending = false
    const slowResults = await Promise.all(slow)

    // The server is still up: one more well-formed message over each transport arrives.
    expectedUdp.add('final-udp')
    expectedTcp.add('final-tcp')
    await sendUdp(udpAddress!, [wellFormed3164('final-udp')])
    await sendTcp({ port: tcpPort, host: '127.0.0.1' }, [wellFormed3164('final-tcp') + '\n'])
    const expected = [...expectedUdp, ...expectedTcp]
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline && (expected.some((id) => !seen.has(id)) || tcpStatus().connections_open > 0)) {
      drain()
      await sleep(20)
    }
    drain()
    gc?.()

    const udpL = udpStatus()
    const tcpL = tcpStatus()
    const missingUdp = [...expectedUdp].filter((id) => !seen.has(id))
    const missingTcp = [...expectedTcp].filter((id) => !seen.has(id))
    const duplicated = [...seen].filter(([, n]) => n !== 1).map(([id, n]) => `${id}×${n}`)
    const unexpected = [...seen.keys()].filter((id) => !expectedUdp.has(id) && !expectedTcp.has(id))
    const udpDatagrams = sent.udpHostile + sent.udpWellFormed + 1
    const hostile = hostileSent()
    const mib = (n: number): string => `${(n / MiB).toFixed(0)} MiB`
    console.log(
      `fuzz summary: seed ${seed}; hostile sent ${hostile} (UDP ${sent.udpHostile} datagrams; TCP ${sent.tcpHostileFrames} frames on ` +
        `${sent.tcpHostileConnections} connections incl. ${sent.megabyteLines} 1 MiB lines, ${sent.shortLived} short-lived, ${sent.slow} slow); ` +
        `well-formed sent/received: UDP ${expectedUdp.size}/${expectedUdp.size - missingUdp.length}, ` +
        `TCP ${expectedTcp.size}/${expectedTcp.size - missingTcp.length} (${sent.resync} after a hostile line); ` +
        `events ${events} (${truncatedEvents} truncated); ` +
        `UDP drops ${JSON.stringify(udpL.dropped_events)}; TCP drops ${JSON.stringify(tcpL.dropped_events)}; ` +
        `TCP errors ${JSON.stringify(tcpL.errors)}; UDP errors ${JSON.stringify(udpL.errors)}; ` +
        `peak RSS ${mib(peakRss)} (+${mib(peakRss - base.rss)}), peak heap ${mib(peakHeap)} (+${mib(peakHeap - base.heapUsed)}); ` +
        `sending ${(sendingMs / 1000).toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(1)} s`,
    )
    console.log(`listener counters: ${JSON.stringify({ udp: udpL, tcp: tcpL })}`)
    console.log(`slow connections (ms silent before the server closed them): ${slowResults.map((r) => r.silentMs).join(', ')}`)

    assert.ok(hostile >= 100_000, `only ${hostile} hostile messages were sent`)
    assert.deepEqual(problems, { roundTrip: [], loneSurrogate: [], badWellFormed: [] })
    assert.deepEqual(missingTcp.slice(0, 20), [], `${missingTcp.length} well-formed TCP messages missing`)
    assert.deepEqual(missingUdp.slice(0, 20), [], `${missingUdp.length} well-formed UDP messages missing`)
    assert.deepEqual(duplicated.slice(0, 20), [], 'well-formed messages arrived more than once')
    assert.deepEqual(unexpected.slice(0, 20), [], 'well-formed ids that were never sent')
    // Every datagram is accounted for by the listener, as an event or as a counted drop: at this
    // pace the kernel dropped none (queue_full would show the pipeline refusing, 'empty' the
    // datagrams with nothing but trailers).
    assert.equal(sent.udpSendErrors, 0)
    assert.equal(sent.udpStalls, 0)
    assert.equal(udpL.received_events + sum(udpL.dropped_events), udpDatagrams)
    assert.equal(udpL.dropped_events.queue_full ?? 0, 0)
    assert.equal(udpL.dropped_events.empty ?? 0, sent.udpEmpty, 'datagrams of nothing but LF, CR and NUL')
    assert.ok((tcpL.dropped_events.incomplete_frame ?? 0) > 0, 'octet-counted frames cut by the end of the connection')
    // The slow senders were closed by the server once silent, and nothing else stayed open.
    for (const r of slowResults) {
      assert.equal(r.closedEarly, false, 'a slow connection was closed while it was still sending')
      assert.equal(r.closed, true, 'a silent connection was never closed')
    }
    assert.ok((tcpL.errors.BEER_ERR_IDLE_TIMEOUT ?? 0) >= slowStarts.length)
    assert.ok((tcpL.dropped_events.idle_timeout ?? 0) >= slowStarts.length)
    assert.equal(tcpL.connections_open, 0)
    assert.ok(
      peakRss - base.rss < RSS_GROWTH_LIMIT,
      `RSS grew by ${mib(peakRss - base.rss)} over ${mib(base.rss)}, more than ${mib(RSS_GROWTH_LIMIT)}`,
    )
  } finally {
    sending = false
    for (const t of timers) clearInterval(t)
    await server?.stop()
  }
})
