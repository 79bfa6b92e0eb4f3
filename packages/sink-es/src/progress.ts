/** What a progress line shows. */
export interface ProgressFigures {
  bytesRead: number
  totalBytes: number
  lines: number
  indexed: number
  duplicates: number
  deadLettered: number
  state: string
}

const BAR = 24

function mib(n: number): string {
  return (n / 1048576).toFixed(1)
}

function num(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

/**
 * A progress bar redrawn in place on a terminal, or a plain line every few seconds when the
 * output is a file or a pipe (CI logs), so both read well.
 */
export class Progress {
  readonly #out: NodeJS.WriteStream
  readonly #tty: boolean
  readonly #started = Date.now()
  readonly #every: number
  #last = 0
  #drawn = false

  constructor(out: NodeJS.WriteStream, plainEveryMs = 5000) {
    this.#out = out
    this.#tty = out.isTTY === true
    this.#every = this.#tty ? 100 : plainEveryMs
  }

  update(f: ProgressFigures, force = false): void {
    const now = Date.now()
    if (!force && now - this.#last < this.#every) return
    this.#last = now
    const done = f.totalBytes > 0 ? Math.min(1, f.bytesRead / f.totalBytes) : 1
    const secs = Math.max(0.001, (now - this.#started) / 1000)
    const rate = (f.indexed + f.duplicates + f.deadLettered) / secs
    const figures = `${(done * 100).toFixed(0).padStart(3)}% ${mib(f.bytesRead)}/${mib(f.totalBytes)} MiB, ${num(f.lines)} lines, indexed ${num(f.indexed)}, duplicates ${num(f.duplicates)}, dead-lettered ${num(f.deadLettered)}, ${num(rate)}/s${f.state === 'up' ? '' : ` (Elasticsearch ${f.state})`}`
    if (this.#tty) {
      const filled = Math.round(done * BAR)
      this.#out.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${figures}`)
      this.#drawn = true
    } else this.#out.write(`replay: ${figures}\n`)
  }

  /** Ends the bar's line, so what follows starts on a line of its own. */
  clear(): void {
    if (this.#tty && this.#drawn) this.#out.write('\r\x1b[K')
    this.#drawn = false
  }
}
