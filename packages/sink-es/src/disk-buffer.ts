import { mkdir, open, readFile, readdir, unlink, writeFile, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { BeerError, type Logger } from '@beer/core'
import { crc32 } from './crc32.ts'

/**
 * The on-disk queue: segment files of records, each record one batch with a checksum, read back in
 * the order written and deleted once Elasticsearch has taken them.
 *
 * Record: u32 magic 'BES1', u32 payload length, u32 event count, u32 CRC-32 of the length, count
 * and payload; then the payload. Little-endian. A record whose checksum fails (a torn write at a
 * crash or power cut, a full disk) ends its segment: the segment is truncated there, with a
 * warning that says how much was lost.
 *
 * `cursor` holds the segment and offset up to which every record was delivered. It is written
 * after each delivery without fsync: after a crash the records after an older cursor are sent
 * again, and Elasticsearch answers 409 for them (the document ids are deterministic), so nothing
 * is stored twice.
 */
export interface DiskBufferOptions {
  path: string
  maxBytes: number
  segmentBytes: number
}

export interface DiskRecord {
  seq: number
  payload: Buffer
  count: number
  /** The buffer `payload` lies in (from the caller's allocator). */
  buffer: Buffer
}

interface Segment {
  n: number
  size: number
  /** Events in the records not read yet. */
  unread: number
}

interface Pending {
  seq: number
  n: number
  end: number
  count: number
  acked: boolean
}

const MAGIC = 0x31534542
export const RECORD_HEADER_BYTES = 16
const SEGMENT_RE = /^(\d{20})\.seg$/
const openDirs = new Set<string>()

function segName(n: number): string {
  return `${String(n).padStart(20, '0')}.seg`
}

function errno(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'EUNKNOWN'
}

function checksum(header: Buffer, payload: Buffer): number {
  return crc32(payload, crc32(header.subarray(4, 12)))
}

export function recordHeader(payload: Buffer, count: number): Buffer {
  const h = Buffer.allocUnsafe(RECORD_HEADER_BYTES)
  h.writeUInt32LE(MAGIC, 0)
  h.writeUInt32LE(payload.length, 4)
  h.writeUInt32LE(count, 8)
  h.writeUInt32LE(checksum(h, payload), 12)
  return h
}

export class DiskBuffer {
  readonly dir: string
  readonly maxBytes: number
  readonly #segmentBytes: number
  readonly #log: Logger
  readonly #name: string
  #segments: Segment[] = []
  #nextN = 1
  #writer: FileHandle | null = null
  #reader: { n: number; fh: FileHandle } | null = null
  #readN = 0
  #readOff = 0
  #ackN = 0
  #ackOff = 0
  #pending: Pending[] = []
  #nextSeq = 1
  #events = 0
  #bytes = 0
  #cursor: FileHandle | null = null
  #chain: Promise<unknown> = Promise.resolve()
  #closed = false
  /** Events lost to corrupt records since the buffer was opened. */
  lostEvents = 0

  private constructor(o: DiskBufferOptions, log: Logger, name: string) {
    this.dir = path.resolve(o.path)
    this.maxBytes = o.maxBytes
    this.#segmentBytes = o.segmentBytes
    this.#log = log
    this.#name = name
  }

  /** Opens (creating) the folder, takes its lock, and checks every record written by an earlier run. */
  static async open(o: DiskBufferOptions, log: Logger, name: string): Promise<DiskBuffer> {
    const b = new DiskBuffer(o, log, name)
    try {
      await mkdir(b.dir, { recursive: true, mode: 0o750 })
    } catch (err) {
      throw new BeerError('BEER_ERR_SINK_ES_BUFFER', `${name}: cannot create the disk buffer folder ${b.dir}: ${(err as Error).message}`, { path: b.dir, errno: errno(err) })
    }
    await b.#lock()
    try {
      await b.#recover()
    } catch (err) {
      await b.#unlock()
      throw err
    }
    return b
  }

  /** Events written and not yet delivered (including those being sent now). */
  get events(): number {
    return this.#events
  }

  /** Bytes of the segment files. */
  get bytes(): number {
    return this.#bytes
  }

  /** True when a record waits that has not been read yet. */
  hasUnread(): boolean {
    const last = this.#segments[this.#segments.length - 1]
    return last !== undefined && (this.#readN < last.n || (this.#readN === last.n && this.#readOff < last.size))
  }

  /** Room for a payload of this size. */
  fits(payloadBytes: number): boolean {
    return this.#bytes + RECORD_HEADER_BYTES + payloadBytes <= this.maxBytes
  }

  /**
   * Appends one record. On failure (ENOSPC, EIO) the segment is cut back to where it was, and the
   * error is thrown with its system code: nothing half-written stays behind.
   */
  append(payload: Buffer, count: number): Promise<void> {
    return this.#serial(() => this.#append(payload, count))
  }

  /** The next record not yet read, or null when every record has been read. */
  read(alloc: (size: number) => Buffer = (n) => Buffer.allocUnsafe(n)): Promise<DiskRecord | null> {
    return this.#serial(() => this.#read(alloc))
  }

  /** The record was delivered: the cursor moves past every delivered record, and drained segments are deleted. */
  ack(seq: number): Promise<void> {
    return this.#serial(() => this.#ack(seq))
  }

  close(): Promise<void> {
    return this.#serial(async () => {
      if (this.#closed) return
      this.#closed = true
      await this.#writeCursor()
      for (const fh of [this.#writer, this.#reader?.fh, this.#cursor]) await fh?.close().catch(() => {})
      this.#writer = null
      this.#reader = null
      this.#cursor = null
      await this.#unlock()
    })
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(() => {
      if (this.#closed) throw new BeerError('BEER_ERR_SINK_ES_CLOSED', `${this.#name}: the disk buffer is closed`)
      return work()
    })
    this.#chain = run.catch(() => {})
    return run
  }

  // ---- lock ---------------------------------------------------------------------------------------

  async #lock(): Promise<void> {
    const file = path.join(this.dir, 'lock')
    const refuse = (pid: number): BeerError =>
      new BeerError(
        'BEER_ERR_SINK_ES_BUFFER_LOCKED',
        `${this.#name}: the disk buffer ${this.dir} is in use by ${pid === process.pid ? 'another sink in this process' : `process ${pid}`}; give each sink its own buffer.path`,
        { path: this.dir, pid },
      )
    if (openDirs.has(this.dir)) throw refuse(process.pid)
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await writeFile(file, `${process.pid}\n${await processIdentity(process.pid)}\n`, { flag: 'wx', mode: 0o640 })
        openDirs.add(this.dir)
        return
      } catch (err) {
        if (errno(err) !== 'EEXIST') {
          throw new BeerError('BEER_ERR_SINK_ES_BUFFER', `${this.#name}: cannot lock the disk buffer ${this.dir}: ${(err as Error).message}`, { path: this.dir, errno: errno(err) })
        }
      }
      const [pidText = '', identity = ''] = (await readFile(file, 'utf8').catch(() => '')).split('\n')
      const pid = Number(pidText.trim())
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        // A live process with that number is the holder only if it is the same process: after a
        // reboot or a container restart the number often belongs to another one by then.
        const now = identity === '' ? '' : await processIdentity(pid)
        if (identity === '' || now === '' || now === identity) throw refuse(pid)
      }
      // Left by a process that is gone (or by this one, closed without releasing it).
      await unlink(file).catch(() => {})
    }
    throw refuse(process.pid)
  }

  async #unlock(): Promise<void> {
    if (!openDirs.delete(this.dir)) return
    await unlink(path.join(this.dir, 'lock')).catch(() => {})
  }

  // ---- recovery -----------------------------------------------------------------------------------

  async #recover(): Promise<void> {
    const names = (await readdir(this.dir)).filter((f) => SEGMENT_RE.test(f)).sort()
    const found = names.map((f) => Number(SEGMENT_RE.exec(f)![1]))
    let [cn, coff] = await this.#readCursor()
    const cursorN = cn
    if (!found.includes(cn)) [cn, coff] = [found[0] ?? 0, 0]
    let cursorOk = coff === 0
    for (const n of found) {
      const file = path.join(this.dir, segName(n))
      if (n < cn) {
        // Delivered entirely before the last run stopped.
        await unlink(file).catch(() => {})
        continue
      }
      const data = await readFile(file)
      let off = 0
      let events = 0
      while (off < data.length) {
        if (n === cn && off === coff) cursorOk = true
        const bad = this.#check(data, off)
        if (bad) {
          this.#log.warn(
            `${this.#name}: disk buffer ${segName(n)} has a damaged record at byte ${off} (${bad}), likely cut off by a crash or a full disk; truncating the segment there. ${data.length - off} bytes are lost.`,
            { path: file, offset: off, lostBytes: data.length - off },
          )
          const fh = await open(file, 'r+')
          await fh.truncate(off).finally(() => fh.close())
          break
        }
        const len = data.readUInt32LE(off + 4)
        const count = data.readUInt32LE(off + 8)
        if (n > cn || off >= coff) events += count
        off += RECORD_HEADER_BYTES + len
      }
      if (n === cn && off === coff) cursorOk = true
      if (off === 0 && n !== found[found.length - 1]) {
        await unlink(file).catch(() => {})
        continue
      }
      this.#segments.push({ n, size: off, unread: events })
      this.#bytes += off
      this.#events += events
    }
    if (!cursorOk) {
      // The cursor does not fall on a record: send the whole segment again (409s, no duplicates).
      this.#log.warn(`${this.#name}: disk buffer cursor ${cn}:${coff} is not at a record; sending segment ${segName(cn)} again from its start`)
      coff = 0
      const head = this.#segments.find((x) => x.n === cn)
      if (head) {
        this.#events -= head.unread
        head.unread = await this.#countFrom(head.n, 0)
        this.#events += head.unread
      }
    }
    // Segments delivered to their end by the last run.
    while (this.#segments[0] && this.#segments[0].n === cn && coff >= this.#segments[0].size) {
      const done = this.#segments.shift()!
      this.#bytes -= done.size
      await unlink(path.join(this.dir, segName(done.n))).catch(() => {})
      cn = this.#segments[0]?.n ?? cn
      coff = 0
    }
    this.#ackN = this.#readN = this.#segments[0]?.n === cn ? cn : (this.#segments[0]?.n ?? 0)
    this.#ackOff = this.#readOff = this.#segments[0]?.n === cn ? coff : 0
    // Past the cursor's segment too: a cursor left by an emptied buffer names a number this run would
    // otherwise reuse, and after a crash the next recovery would take those new segments for delivered.
    this.#nextN = Math.max(found[found.length - 1] ?? 0, cursorN) + 1
    if (this.#events > 0) {
      this.#log.info(`${this.#name}: disk buffer ${this.dir} holds ${this.#events} events (${this.#bytes} bytes) from an earlier run; sending them first`, {
        path: this.dir,
        events: this.#events,
      })
    }
  }

  async #countFrom(n: number, from: number): Promise<number> {
    const data = await readFile(path.join(this.dir, segName(n)))
    let events = 0
    for (let off = from; off + RECORD_HEADER_BYTES <= data.length; off += RECORD_HEADER_BYTES + data.readUInt32LE(off + 4)) events += data.readUInt32LE(off + 8)
    return events
  }

  /** Why the record at `off` is not whole, or '' when it is. */
  #check(data: Buffer, off: number): string {
    if (off + RECORD_HEADER_BYTES > data.length) return 'header cut short'
    if (data.readUInt32LE(off) !== MAGIC) return 'no record starts there'
    const len = data.readUInt32LE(off + 4)
    if (off + RECORD_HEADER_BYTES + len > data.length) return 'payload cut short'
    const payload = data.subarray(off + RECORD_HEADER_BYTES, off + RECORD_HEADER_BYTES + len)
    if (checksum(data.subarray(off, off + RECORD_HEADER_BYTES), payload) !== data.readUInt32LE(off + 12)) return 'checksum mismatch'
    return ''
  }

  async #readCursor(): Promise<[number, number]> {
    try {
      const m = /^(\d+) (\d+)/.exec(await readFile(path.join(this.dir, 'cursor'), 'utf8'))
      if (m) return [Number(m[1]), Number(m[2])]
    } catch {}
    return [0, 0]
  }

  async #writeCursor(): Promise<void> {
    try {
      this.#cursor ??= await open(path.join(this.dir, 'cursor'), 'w', 0o640)
      // Fixed width, written in place: no truncation, no rename, one small write per delivery.
      await this.#cursor.write(`${String(this.#ackN).padStart(20, '0')} ${String(this.#ackOff).padStart(20, '0')}\n`, 0)
    } catch {
      // Only a hint: without it the next run sends delivered records again and Elasticsearch answers 409.
    }
  }

  // ---- append, read, ack --------------------------------------------------------------------------

  async #append(payload: Buffer, count: number): Promise<void> {
    const size = RECORD_HEADER_BYTES + payload.length
    let seg = this.#segments[this.#segments.length - 1]
    if (!this.#writer || !seg || (seg.size > 0 && seg.size + size > this.#segmentBytes)) {
      await this.#writer?.close().catch(() => {})
      this.#writer = null
      const n = this.#nextN++
      this.#writer = await open(path.join(this.dir, segName(n)), 'a', 0o640)
      seg = { n, size: 0, unread: 0 }
      this.#segments.push(seg)
      if (this.#segments.length === 1) {
        this.#readN = this.#ackN = n
        this.#readOff = this.#ackOff = 0
      }
    }
    const header = recordHeader(payload, count)
    let written = 0
    try {
      while (written < size) {
        const bufs = written < RECORD_HEADER_BYTES ? [header.subarray(written), payload] : [payload.subarray(written - RECORD_HEADER_BYTES)]
        const { bytesWritten } = await this.#writer.writev(bufs)
        if (bytesWritten <= 0) throw Object.assign(new Error('the file system accepted no bytes'), { code: 'EIO' })
        written += bytesWritten
      }
    } catch (err) {
      try {
        await this.#writer.truncate(seg.size)
      } catch {
        // The damaged tail stays: close the segment, and the reader skips from that record on.
        await this.#writer.close().catch(() => {})
        this.#writer = null
        seg.size += written
        this.#bytes += written
      }
      throw err
    }
    seg.size += size
    seg.unread += count
    this.#bytes += size
    this.#events += count
  }

  async #read(alloc: (size: number) => Buffer): Promise<DiskRecord | null> {
    for (;;) {
      const i = this.#segments.findIndex((s) => s.n >= this.#readN)
      if (i === -1) return null
      const seg = this.#segments[i]!
      if (seg.n > this.#readN) {
        this.#readN = seg.n
        this.#readOff = 0
      }
      if (this.#readOff >= seg.size) {
        const next = this.#segments[i + 1]
        if (!next) return null
        this.#readN = next.n
        this.#readOff = 0
        continue
      }
      if (this.#reader?.n !== seg.n) {
        await this.#reader?.fh.close().catch(() => {})
        this.#reader = { n: seg.n, fh: await open(path.join(this.dir, segName(seg.n)), 'r') }
      }
      const avail = seg.size - this.#readOff
      const header = Buffer.alloc(RECORD_HEADER_BYTES)
      await this.#reader.fh.read(header, 0, Math.min(RECORD_HEADER_BYTES, avail), this.#readOff)
      const len = header.readUInt32LE(4)
      let bad = avail < RECORD_HEADER_BYTES ? 'header cut short' : header.readUInt32LE(0) !== MAGIC ? 'no record starts there' : len > avail - RECORD_HEADER_BYTES ? 'payload cut short' : ''
      let payload: Buffer = Buffer.alloc(0)
      let buffer: Buffer = payload
      if (!bad) {
        buffer = alloc(len)
        payload = buffer.subarray(0, len)
        const { bytesRead } = await this.#reader.fh.read(payload, 0, len, this.#readOff + RECORD_HEADER_BYTES)
        if (bytesRead !== len) bad = 'payload cut short'
        else if (checksum(header, payload) !== header.readUInt32LE(12)) bad = 'checksum mismatch'
      }
      if (bad) {
        this.#skipDamaged(seg, bad)
        continue
      }
      const count = header.readUInt32LE(8)
      seg.unread -= count
      const seq = this.#nextSeq++
      this.#readOff += RECORD_HEADER_BYTES + len
      this.#pending.push({ seq, n: seg.n, end: this.#readOff, count, acked: false })
      return { seq, payload, count, buffer }
    }
  }

  /** A record damaged on disk while running: the rest of its segment cannot be framed, so it is given up. */
  #skipDamaged(seg: Segment, why: string): void {
    const lostBytes = seg.size - this.#readOff
    const lost = seg.unread
    this.#events -= lost
    this.lostEvents += lost
    seg.unread = 0
    this.#log.warn(
      `${this.#name}: disk buffer ${segName(seg.n)} has a damaged record at byte ${this.#readOff} (${why}); skipping the rest of that segment: ${lost} events (${lostBytes} bytes) are lost`,
      { path: path.join(this.dir, segName(seg.n)), offset: this.#readOff, lostEvents: lost },
    )
    this.#bytes -= lostBytes
    seg.size = this.#readOff
    if (seg === this.#segments[this.#segments.length - 1] && this.#writer) {
      // Writing goes on in a fresh segment.
      const w = this.#writer
      this.#writer = null
      void w.close().catch(() => {})
    }
  }

  async #ack(seq: number): Promise<void> {
    const p = this.#pending.find((x) => x.seq === seq)
    if (!p) return
    p.acked = true
    let moved = false
    while (this.#pending[0]?.acked) {
      const done = this.#pending.shift()!
      this.#ackN = done.n
      this.#ackOff = done.end
      this.#events -= done.count
      moved = true
    }
    if (!moved) return
    // Segments before the cursor's are delivered.
    while (this.#segments.length > 0 && this.#segments[0]!.n < this.#ackN) await this.#drop(this.#segments.shift()!)
    const head = this.#segments[0]
    if (head && head.n === this.#ackN && this.#ackOff >= head.size && this.#pending.length === 0) {
      if (this.#segments.length === 1) {
        // Drained: start afresh, so a quiet buffer holds no file.
        await this.#writer?.close().catch(() => {})
        this.#writer = null
        this.#segments.shift()
        await this.#drop(head)
        this.#events = 0
        this.#ackN = this.#readN = this.#nextN
        this.#ackOff = this.#readOff = 0
      } else if (this.#readN > head.n) {
        this.#segments.shift()
        await this.#drop(head)
        this.#ackN = this.#segments[0]!.n
        this.#ackOff = 0
      }
    }
    await this.#writeCursor()
  }

  async #drop(seg: Segment): Promise<void> {
    this.#bytes -= seg.size
    if (this.#reader?.n === seg.n) {
      await this.#reader.fh.close().catch(() => {})
      this.#reader = null
    }
    await unlink(path.join(this.dir, segName(seg.n))).catch(() => {})
  }
}

/**
 * What tells a process apart from a later one given the same number, where the system says
 * (Linux: the boot and the process's start time since boot); '' elsewhere.
 */
async function processIdentity(pid: number): Promise<string> {
  try {
    const [boot, stat] = await Promise.all([readFile('/proc/sys/kernel/random/boot_id', 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')])
    // Fields after the command name, which is in parentheses and may hold spaces: starttime is field 22.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
    return start === undefined || !/^\d+$/.test(start) ? '' : `${boot.trim()}/${start}`
  } catch {
    return ''
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return errno(err) === 'EPERM'
  }
}
