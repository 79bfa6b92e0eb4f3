// Watching and checking a receiver's NDJSON output file: a cheap incremental line counter to
// poll while the receiver works, and a full check afterwards (every line valid JSON, every
// sequence number present exactly once).
import { openSync, readSync, closeSync, createReadStream } from 'node:fs'
import { SEQ_PATTERN } from './syslog-corpus.ts'

/** Counts LF bytes appended to a file since the last call; the file need not exist yet. */
export class LineCounter {
  lines = 0
  bytes = 0
  #fd: number | undefined
  #buf = Buffer.allocUnsafe(4 << 20)
  readonly path: string

  constructor(path: string) {
    this.path = path
  }

  /** Reads what was appended since the last poll; returns the total line count. */
  poll(): number {
    if (this.#fd === undefined) {
      try {
        this.#fd = openSync(this.path, 'r')
      } catch {
        return this.lines
      }
    }
    for (;;) {
      const n = readSync(this.#fd, this.#buf, 0, this.#buf.length, this.bytes)
      if (n <= 0) break
      this.bytes += n
      const chunk = n === this.#buf.length ? this.#buf : this.#buf.subarray(0, n)
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.lines++
    }
    return this.lines
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd)
    this.#fd = undefined
  }
}

export interface OutputCheck {
  lines: number
  invalidJson: number
  /** Lines that are JSON but carry no `seq=<n>` in range. */
  withoutSeq: number
  missing: number
  duplicates: number
  /** The first line, for showing what the receiver wrote. */
  sample: string
  /** The first few problems, for the log. */
  problems: string[]
}

/** Reads the whole file: JSON-parses each line and counts each sequence number 0..count-1. */
export async function checkOutput(path: string, count: number): Promise<OutputCheck> {
  const seen = new Uint8Array(count)
  const r: OutputCheck = {
    lines: 0,
    invalidJson: 0,
    withoutSeq: 0,
    missing: 0,
    duplicates: 0,
    sample: '',
    problems: [],
  }
  const note = (p: string) => {
    if (r.problems.length < 5) r.problems.push(p.length > 300 ? p.slice(0, 300) + '…' : p)
  }
  const line = (text: string) => {
    r.lines++
    if (r.lines === 1) r.sample = text
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      r.invalidJson++
      note(`line ${r.lines}: not JSON: ${text}`)
      return
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      r.invalidJson++
      note(`line ${r.lines}: JSON but not an object: ${text}`)
      return
    }
    const m = SEQ_PATTERN.exec(text)
    const seq = m ? Number(m[1]) : -1
    if (seq < 0 || seq >= count) {
      r.withoutSeq++
      note(`line ${r.lines}: no seq=<0..${count - 1}>: ${text}`)
      return
    }
    if (seen[seq]! < 255) seen[seq]!++
    if (seen[seq]! > 1) r.duplicates++
  }
  let rest = ''
  try {
    for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 4 << 20 })) {
      const text = rest + (chunk as string)
      let start = 0
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', start)) {
        line(text.slice(start, i))
        start = i + 1
      }
      rest = text.slice(start)
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    note('no output file')
  }
  if (rest.length > 0) {
    note('last line has no LF')
    line(rest)
  }
  for (let i = 0; i < count; i++) if (seen[i] === 0) r.missing++
  return r
}
