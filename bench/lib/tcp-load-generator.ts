// A TCP syslog sender for benchmarks, run as its own process (child_process.fork) so its CPU is
// not counted against the receiver it loads. It builds every byte first, connects, tells its
// parent it is ready, and on `go` writes the corpus over several connections as fast as the
// receiver takes it (waiting for 'drain' whenever the socket says so), then closes and exits.
//
// Framing is RFC 6587 §3.4.2 non-transparent framing: each message ends with LF. Writes are cut
// at fixed byte offsets, not at message boundaries, as a real TCP stream may be.
//
// Messages to the parent: { type: 'ready', bytes, connections }, { type: 'started', startNs } just
// before the first write, { type: 'done', startNs, endNs, bytes, cpuS } once every socket is
// closed (cpuS: its own CPU seconds spent sending), or
// { type: 'error', message }. Times are process.hrtime.bigint() values as strings: CLOCK_MONOTONIC,
// the same clock in every process on the machine.
import net from 'node:net'
import { once } from 'node:events'
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import path from 'node:path'
import { syslogLine } from './syslog-corpus.ts'

export interface LoadGeneratorArgs {
  host: string
  port: number
  count: number
  connections: number
  /** Bytes handed to socket.write at a time. */
  chunkBytes: number
  /** A directory to keep the built bytes in, so the next sender with the same count and
   * connections reads them instead of building them again. */
  corpusDir?: string
}

/** The bytes connection `c` of `connections` sends: sequence numbers [from, to), each LF-terminated. */
export function connectionRange(count: number, connections: number, c: number): [number, number] {
  return [Math.floor((count * c) / connections), Math.floor((count * (c + 1)) / connections)]
}

function buildBytes(from: number, to: number): Buffer {
  const parts: Buffer[] = []
  const batch = 10_000
  for (let i = from; i < to; i += batch) {
    const lines: string[] = []
    for (let j = i; j < Math.min(to, i + batch); j++) lines.push(syslogLine(j))
    parts.push(Buffer.from(lines.join('\n') + '\n', 'utf8'))
  }
  return Buffer.concat(parts)
}

async function send(socket: net.Socket, bytes: Buffer, chunkBytes: number): Promise<void> {
  for (let off = 0; off < bytes.length; off += chunkBytes) {
    if (!socket.write(bytes.subarray(off, off + chunkBytes))) await once(socket, 'drain')
  }
  socket.end()
  if (!socket.closed) await once(socket, 'close')
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '') as LoadGeneratorArgs
  const buffers: Buffer[] = []
  for (let c = 0; c < args.connections; c++) {
    const [from, to] = connectionRange(args.count, args.connections, c)
    const cached = args.corpusDir && path.join(args.corpusDir, `syslog-${from}-${to}.txt`)
    if (cached && existsSync(cached)) buffers.push(readFileSync(cached))
    else {
      const bytes = buildBytes(from, to)
      if (cached) writeFileSync(cached, bytes)
      buffers.push(bytes)
    }
  }
  const bytes = buffers.reduce((n, b) => n + b.length, 0)
  const sockets = await Promise.all(
    buffers.map(async () => {
      const s = net.connect({ host: args.host, port: args.port, noDelay: true })
      await once(s, 'connect')
      s.on('error', (err) => {
        process.send!({ type: 'error', message: `sender socket: ${err.message}` })
        process.exit(1)
      })
      return s
    })
  )
  process.send!({ type: 'ready', bytes, connections: sockets.length })
  const [msg] = (await once(process, 'message')) as [{ type: string }]
  if (msg.type !== 'go') process.exit(1)
  const startNs = process.hrtime.bigint()
  const cpu0 = process.cpuUsage()
  process.send!({ type: 'started', startNs: String(startNs) })
  await Promise.all(sockets.map((s, i) => send(s, buffers[i]!, args.chunkBytes)))
  const endNs = process.hrtime.bigint()
  const cpu = process.cpuUsage(cpu0)
  const cpuS = (cpu.user + cpu.system) / 1e6
  process.send!({ type: 'done', startNs: String(startNs), endNs: String(endNs), bytes, cpuS }, () => process.exit(0))
}

if (process.send) {
  main().catch((err: unknown) => {
    process.send!({ type: 'error', message: String((err as Error)?.stack ?? err) }, () => process.exit(1))
  })
}
