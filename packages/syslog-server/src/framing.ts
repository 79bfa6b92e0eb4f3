/**
 * RFC 6587 framing of a syslog byte stream (TCP, TLS, Unix stream sockets).
 *
 * - Octet counting (§3.4.1): `MSG-LEN SP SYSLOG-MSG`, MSG-LEN in bytes.
 * - Non-transparent framing (§3.4.2): a trailer ends each frame; LF is the common one, CRLF is
 *   LF with the CR removed, and some senders end frames with NUL instead.
 *
 * The method is detected per connection on its first frame: digits followed by a space mean octet
 * counting (a syslog message itself starts with '<'). A later frame that does not start that way is
 * read up to the next LF rather than thrown away, and counted as a desync.
 *
 * Memory is bounded: at most one partial frame (≤ maxMessageSize bytes plus a length prefix) is held
 * per connection; larger frames are cut (truncate) or skipped without buffering (drop).
 */

export type OversizePolicy = 'truncate' | 'drop'

export interface FramerOptions {
  maxMessageSize: number
  oversize: OversizePolicy
}

export interface FrameSink {
  frame(text: string, truncated: boolean): void
  /** A frame or part of the stream was thrown away; `reason` is a dropped_events label. */
  drop(reason: string): void
  /** A framing problem that did not lose data outright; `code` is an errors label. */
  error(code: string): void
}

const LF = 0x0a
const CR = 0x0d
const NUL = 0x00
const SP = 0x20
const ZERO = 0x30
const NINE = 0x39
// A 64 KiB limit needs 5 digits; 10 digits already means several GB, which no sane sender declares.
const MAX_LENGTH_DIGITS = 10

const Mode = { Unknown: 0, OctetCounting: 1, NonTransparent: 2 } as const

export class Framer {
  private readonly max: number
  private readonly drop: boolean
  private readonly out: FrameSink
  private mode: number = Mode.Unknown
  private nulTrailer = false
  /** Whether a trailer byte has been seen, so LF-vs-NUL is decided on evidence, not on a chunk cut. */
  private trailerKnown = false
  /** The kept bytes start with a desync line already counted. */
  private desyncCounted = false
  private pending: Buffer | null = null
  /** Bytes of an oversized octet-counted frame still to skip. */
  private skip = 0
  /** An oversized non-transparent frame: discard up to the next trailer. */
  private skipLine = false

  constructor(options: FramerOptions, out: FrameSink) {
    this.max = options.maxMessageSize
    this.drop = options.oversize === 'drop'
    this.out = out
  }

  /** Bytes held for an unfinished frame. */
  get buffered(): number {
    return this.pending ? this.pending.length : 0
  }

  push(chunk: Buffer): void {
    const pending = this.pending
    if (pending === null) return this.consume(chunk)
    this.pending = null
    // Reads rarely end on a frame boundary. In line mode only the frame that straddles the two
    // reads needs joining; the rest of the new read is framed where it lies, not copied.
    if (this.mode === Mode.NonTransparent && this.trailerKnown && !this.nulTrailer && !this.skipLine && this.skip === 0) {
      const lf = chunk.indexOf(LF)
      if (lf >= 0) {
        this.consume(Buffer.concat([pending, chunk.subarray(0, lf + 1)]))
        return this.push(chunk.subarray(lf + 1))
      }
    }
    this.consume(Buffer.concat([pending, chunk]))
  }

  private consume(buf: Buffer): void {
    let pos = 0
    const len = buf.length
    while (pos < len) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, len - pos)
        this.skip -= n
        pos += n
        continue
      }
      if (this.skipLine) {
        const t = this.findTrailer(buf, pos)
        if (t < 0) return
        this.skipLine = false
        pos = t + 1
        continue
      }
      const c = buf[pos]!
      if (this.mode === Mode.Unknown) {
        if (c === LF || c === NUL || c === CR) {
          pos++
          continue
        }
        const header = readLength(buf, pos)
        if (header === NEED_MORE) {
          this.keep(buf, pos)
          return
        }
        this.mode = header === NOT_OCTET ? Mode.NonTransparent : Mode.OctetCounting
      }
      if (this.mode === Mode.OctetCounting) {
        const next = this.octetFrame(buf, pos)
        if (next < 0) return
        pos = next
      } else {
        const next = this.lineFrames(buf, pos)
        if (next < 0) return
        pos = next
      }
    }
  }

  /** The connection closed: what is left of a non-transparent frame is still a message. */
  end(): void {
    const rest = this.pending
    this.pending = null
    if (rest === null || rest.length === 0 || this.skip > 0 || this.skipLine) return
    if (this.mode === Mode.OctetCounting) {
      this.out.drop('incomplete_frame')
      return
    }
    let end = rest.length
    while (end > 0 && (rest[end - 1] === CR || rest[end - 1] === LF || rest[end - 1] === NUL)) end--
    if (end > 0) this.emit(rest, 0, end)
  }

  private keep(buf: Buffer, pos: number): void {
    // Copy only when a small tail pins a large chunk, so an idle connection holds little memory.
    const tail = buf.subarray(pos)
    this.pending = tail.length * 4 < buf.length ? Buffer.from(tail) : tail
  }

  private detectTrailer(buf: Buffer, pos: number): void {
    const lf = buf.indexOf(LF, pos)
    const nul = lf < 0 ? buf.indexOf(NUL, pos) : buf.lastIndexOf(NUL, lf)
    if (lf < 0 && nul < 0) return
    this.trailerKnown = true
    this.nulTrailer = nul >= pos && (lf < 0 || nul < lf)
  }

  private findTrailer(buf: Buffer, pos: number): number {
    const lf = buf.indexOf(LF, pos)
    if (!this.nulTrailer) return lf
    const nul = buf.indexOf(NUL, pos)
    if (nul < 0) return lf
    return lf < 0 || nul < lf ? nul : lf
  }

  /** Returns the position after the frame, or -1 when the rest of `buf` was kept or skipped. */
  private octetFrame(buf: Buffer, pos: number): number {
    const header = readLength(buf, pos)
    if (header === NEED_MORE) {
      this.keep(buf, pos)
      return -1
    }
    if (header === NOT_OCTET) {
      // A sender switched framing mid-stream or the count lied: resynchronise on the next LF.
      if (!this.desyncCounted) this.out.error('BEER_ERR_FRAMING_DESYNC')
      const lf = buf.indexOf(LF, pos)
      if (lf < 0) {
        if (buf.length - pos > this.max) {
          this.desyncCounted = false
          this.oversizeLine(buf, pos)
          return -1
        }
        this.desyncCounted = true
        this.keep(buf, pos)
        return -1
      }
      this.desyncCounted = false
      this.lineFrame(buf, pos, lf)
      return lf + 1
    }
    const { length, start } = header
    if (length === 0) return start
    const end = start + length
    if (length > this.max) {
      if (this.drop) {
        this.out.drop('oversize')
        this.skip = length
        return start
      }
      if (buf.length < start + this.max) {
        this.keep(buf, pos)
        return -1
      }
      this.emitTruncated(buf, start, start + this.max)
      this.skip = length - this.max
      return start + this.max
    }
    if (end > buf.length) {
      this.keep(buf, pos)
      return -1
    }
    let e = end
    // Some senders count the trailing LF too; it is never part of the message.
    while (e > start && (buf[e - 1] === LF || buf[e - 1] === CR || buf[e - 1] === NUL)) e--
    if (e > start) this.emit(buf, start, e)
    return end
  }

  /**
   * Non-transparent frames. The common case (LF only) decodes every complete line of the chunk
   * with one UTF-8 decode and slices the string, which is several times cheaper than one decode per
   * frame. An LF byte is never inside a multi-byte UTF-8 sequence, so the cut points are safe.
   */
  private lineFrames(buf: Buffer, pos: number): number {
    if (!this.trailerKnown) {
      this.detectTrailer(buf, pos)
      if (!this.trailerKnown) return this.unfinishedLine(buf, pos)
    }
    if (this.nulTrailer) return this.nulFrames(buf, pos)
    const last = buf.lastIndexOf(LF)
    if (last < pos) return this.unfinishedLine(buf, pos)
    const text = buf.toString('utf8', pos, last)
    // A decoded line is at most 3 bytes per UTF-16 unit (an invalid sequence of up to 3 bytes
    // decodes to one U+FFFD), so only lines over max/3 units can exceed the byte limit; those are
    // measured again on the raw bytes (max/4 keeps a margin).
    const maybeLong = this.max / 4
    let s = 0
    let line = 0
    // Byte offset of the start of line number `cursorLine`, advanced only for long lines.
    let cursorLine = 0
    let cursorByte = pos
    const n = text.length
    while (s <= n) {
      let e = text.indexOf('\n', s)
      if (e < 0) e = n
      if (e - s > maybeLong) {
        while (cursorLine < line) {
          cursorByte = buf.indexOf(LF, cursorByte) + 1
          cursorLine++
        }
        this.lineFrame(buf, cursorByte, buf.indexOf(LF, cursorByte))
      } else {
        let stop = e
        if (stop > s && text.charCodeAt(stop - 1) === 13) stop--
        if (stop > s) this.out.frame(s === 0 && stop === n ? text : text.slice(s, stop), false)
      }
      s = e + 1
      line++
    }
    return last + 1
  }

  /** NUL-or-LF trailers: each trailer's next position is searched once per chunk, not per frame. */
  private nulFrames(buf: Buffer, pos: number): number {
    const len = buf.length
    let lf = buf.indexOf(LF, pos)
    let nul = buf.indexOf(NUL, pos)
    while (pos < len) {
      if (lf >= 0 && lf < pos) lf = buf.indexOf(LF, pos)
      if (nul >= 0 && nul < pos) nul = buf.indexOf(NUL, pos)
      const t = lf < 0 ? nul : nul < 0 ? lf : Math.min(lf, nul)
      if (t < 0) return this.unfinishedLine(buf, pos)
      this.lineFrame(buf, pos, t)
      pos = t + 1
    }
    return pos
  }

  private lineFrame(buf: Buffer, pos: number, t: number): void {
    let e = t
    if (e > pos && buf[e - 1] === CR) e--
    if (e <= pos) return
    if (e - pos > this.max) {
      if (this.drop) this.out.drop('oversize')
      else this.emitTruncated(buf, pos, pos + this.max)
      return
    }
    this.emit(buf, pos, e)
  }

  private unfinishedLine(buf: Buffer, pos: number): number {
    if (buf.length - pos > this.max) {
      this.oversizeLine(buf, pos)
      return -1
    }
    this.keep(buf, pos)
    return -1
  }

  private oversizeLine(buf: Buffer, pos: number): void {
    if (this.drop) this.out.drop('oversize')
    else this.emitTruncated(buf, pos, pos + this.max)
    this.skipLine = true
  }

  private emit(buf: Buffer, start: number, end: number): void {
    this.out.frame(buf.toString('utf8', start, end), false)
  }

  private emitTruncated(buf: Buffer, start: number, end: number): void {
    // Cut on a character boundary: back off over UTF-8 continuation bytes (10xxxxxx).
    let e = end
    while (e > start && (buf[e]! & 0xc0) === 0x80) e--
    this.out.frame(buf.toString('utf8', start, e), true)
  }
}

const NEED_MORE = -1 as const
const NOT_OCTET = -2 as const
type LengthHeader = typeof NEED_MORE | typeof NOT_OCTET | { length: number; start: number }

/** RFC 6587 §3.4.1: MSG-LEN = NONZERO-DIGIT *DIGIT, then one SP. */
function readLength(buf: Buffer, pos: number): LengthHeader {
  const first = buf[pos]!
  if (first <= ZERO || first > NINE) return NOT_OCTET
  let n = 0
  let i = pos
  const len = buf.length
  while (i < len) {
    const c = buf[i]!
    if (c >= ZERO && c <= NINE) {
      if (i - pos >= MAX_LENGTH_DIGITS) return NOT_OCTET
      n = n * 10 + (c - ZERO)
      i++
      continue
    }
    if (c === SP) return { length: n, start: i + 1 }
    return NOT_OCTET
  }
  return NEED_MORE
}
