import { controlRequest } from '@beer/control'
import type { ControlResponse } from '@beer/control'
import { counters, rates, renderStatus } from './format.ts'
import type { Rates } from './format.ts'

export interface TopOptions {
  socket: string
  timeoutMs: number
  /** Milliseconds between snapshots. Default 1000. */
  interval?: number
}

// ANSI: alternate screen, hide/show cursor, home + clear.
const ENTER = '\x1b[?1049h\x1b[?25l'
const LEAVE = '\x1b[?25h\x1b[?1049l'
const HOME = '\x1b[H\x1b[2J'

async function snapshot(o: TopOptions): Promise<unknown> {
  const r: ControlResponse = await controlRequest(o.socket, { command: 'status' }, o.timeoutMs)
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code })
  return 'status' in r ? r.status : r.answers
}

/**
 * A live view of the status, redrawn every second with events/s from successive snapshots. Without
 * a terminal on stdout it prints one snapshot and returns. The first snapshot's errors reject
 * (the caller maps them to an exit code); later ones are shown on screen while it keeps trying.
 */
export async function top(o: TopOptions): Promise<number> {
  const out = process.stdout
  const first = await snapshot(o)
  if (!out.isTTY) {
    out.write(renderStatus(first))
    return 0
  }
  const interval = o.interval ?? 1000
  const input = process.stdin
  let previous = { at: performance.now(), counters: counters(first) }
  let status: unknown = first
  let shown: Rates = {}
  let problem = ''

  const draw = (): void => {
    const width = out.columns || 80
    const height = out.rows || 24
    const head = `beer top  ${o.socket}  ${new Date().toLocaleTimeString('en-GB')}  (q to quit)`
    const body = renderStatus(status, shown).trimEnd().split('\n')
    const lines = [head, '', ...body, ...(problem ? ['', problem] : [])].slice(0, height - 1)
    out.write(HOME + lines.map((l) => (l.length > width ? l.slice(0, width - 1) + '…' : l)).join('\n'))
  }

  return new Promise<number>((resolve) => {
    let busy = false
    const tick = async (): Promise<void> => {
      if (busy) return
      busy = true
      try {
        const next = await snapshot(o)
        const now = { at: performance.now(), counters: counters(next) }
        shown = rates(previous.counters, now.counters, (now.at - previous.at) / 1000)
        previous = now
        status = next
        problem = ''
      } catch (err) {
        problem = `cannot reach ${o.socket}: ${(err as Error).message}; retrying`
      } finally {
        busy = false
      }
      if (!done) draw()
    }
    let done = false
    const restore = (): void => {
      if (input.isTTY) input.setRawMode(false)
      out.write(LEAVE)
    }
    const quit = (): void => {
      if (done) return
      done = true
      clearInterval(timer)
      input.off('data', onKey)
      input.pause()
      out.off('resize', draw)
      process.off('SIGINT', quit)
      process.off('SIGTERM', quit)
      process.off('exit', restore)
      restore()
      resolve(0)
    }
    const onKey = (key: Buffer): void => {
      // In raw mode Ctrl-C arrives as the byte 0x03 rather than as SIGINT.
      // Without raw mode (stdin not a terminal) keys arrive as lines: 'q' then Enter.
      const k = key.toString('utf8').trim()
      if (k === 'q' || k === 'Q' || k === '\x03' || k === '\x1b') quit()
    }
    out.write(ENTER)
    // If anything kills the loop, the terminal still gets its cursor and main screen back.
    process.on('exit', restore)
    process.on('SIGINT', quit)
    process.on('SIGTERM', quit)
    if (input.isTTY) input.setRawMode(true)
    input.on('data', onKey)
    input.resume()
    out.on('resize', draw)
    draw()
    const timer = setInterval(() => void tick(), interval)
  })
}
