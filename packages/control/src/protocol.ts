/** What one module answered to a command: an answer, or an error with a stable code. */
export interface CommandAnswer {
  module: string
  answer?: unknown
  error?: { code: string; message: string }
}

/** What the control socket serves: a running beer (its syslog server), or anything shaped like it. */
export interface ControlHandler {
  command(name: string, args?: unknown, target?: string): Promise<CommandAnswer[]>
  status(): unknown
}

/** One request line. `id` is echoed back so a client can match answers to requests. */
export interface ControlRequest {
  id?: number | string
  command: string
  args?: unknown
  /** The module the command is for; every module when absent. */
  target?: string
}

/** One response line: `status` for a plain status request, `answers` for any other command. */
export type ControlResponse =
  | { id: number | string | null; ok: true; status: unknown }
  | { id: number | string | null; ok: true; answers: CommandAnswer[] }
  | { id: number | string | null; ok: false; error: { code: string; message: string } }

/** Longest request line accepted, in bytes; a longer one is answered with an error and skipped. */
export const MAX_REQUEST_BYTES: number = 64 * 1024

/** Splits a byte stream into lines, giving up on (and reporting) any line longer than `max`. */
export class LineReader {
  private chunks: Buffer[] = []
  private size = 0
  private skipping = false
  private readonly max: number

  constructor(max: number) {
    this.max = max
  }

  /** Returns the complete lines in `data`, and `null` in place of each line that was too long. */
  push(data: Buffer): (string | null)[] {
    const out: (string | null)[] = []
    let start = 0
    for (;;) {
      const nl = data.indexOf(0x0a, start)
      if (nl === -1) break
      const piece = data.subarray(start, nl)
      if (this.skipping) {
        this.skipping = false
      } else if (this.size + piece.length > this.max) {
        out.push(null)
      } else {
        this.chunks.push(piece)
        out.push(Buffer.concat(this.chunks).toString('utf8'))
      }
      this.chunks = []
      this.size = 0
      start = nl + 1
    }
    const rest = data.subarray(start)
    if (rest.length && !this.skipping) {
      if (this.size + rest.length > this.max) {
        // Reported now, not at the newline, so a client that never sends one still hears why.
        out.push(null)
        this.skipping = true
        this.chunks = []
        this.size = 0
      } else {
        this.chunks.push(Buffer.from(rest))
        this.size += rest.length
      }
    }
    return out
  }
}
