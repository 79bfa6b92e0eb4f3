import { constants } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { byteLength, fitOutput, type CheckResult } from './mapping.ts'
import { DeliveryFailure, errorCode, errorText, type Transport } from './transport.ts'

/**
 * POSIX guarantees that a write of at most PIPE_BUF bytes to a pipe is never interleaved with other
 * writers' (nsca, the CGIs, scripts all write the same pipe), and that with O_NONBLOCK it is all
 * or nothing. Linux's PIPE_BUF is 4096, the POSIX minimum 512; 4096 is also what Linux and the BSDs
 * have, so every line, and every write of several lines, stays within it.
 */
export const PIPE_BUF = 4096

const WHAT: Record<string, string> = {
  ENOENT: 'it does not exist: Nagios is not running, or check_external_commands=1 is missing from nagios.cfg',
  ENXIO: 'no process reads it: Nagios is not running',
  EPIPE: 'Nagios stopped reading it',
  EAGAIN: 'the pipe is full: Nagios is not keeping up',
  EACCES: 'permission denied: add the user beer runs as to the group of the command file (nagios)',
}

/** One external command line (Nagios' "external commands" reference), at most PIPE_BUF bytes with its newline. */
export function commandLine(result: CheckResult, now: number): string {
  const head =
    result.service === null
      ? `[${now}] PROCESS_HOST_CHECK_RESULT;${result.host};${result.code};`
      : `[${now}] PROCESS_SERVICE_CHECK_RESULT;${result.host};${result.service};${result.code};`
  return head + fitOutput(result, PIPE_BUF - 1 - byteLength(head)) + '\n'
}

/**
 * Writes to Nagios' external command file, a named pipe. It is opened with O_NONBLOCK, so neither
 * the open (which would wait for a reader) nor a write (which would wait for room) ever blocks:
 * with no reader the open fails with ENXIO, with a full pipe the write fails with EAGAIN, and the
 * sink retries later. A thread of libuv's pool blocked in open() on a reader-less pipe would
 * otherwise stay blocked until Nagios came back, and take file I/O of the whole process with it.
 */
export class CommandFileTransport implements Transport {
  readonly kind = 'command-file' as const
  readonly target: string
  readonly concurrency = 1
  readonly batchSize = 200
  #fh: FileHandle | null = null

  constructor(path: string) {
    this.target = path
  }

  async send(results: readonly CheckResult[]): Promise<void> {
    if (!this.#fh) {
      try {
        // No O_CREAT: a missing pipe means no Nagios, and a regular file created here would swallow results.
        this.#fh = await open(this.target, constants.O_WRONLY | constants.O_APPEND | constants.O_NONBLOCK)
      } catch (err) {
        throw this.#failure(err, 0)
      }
    }
    const now = Math.floor(Date.now() / 1000)
    let delivered = 0
    let i = 0
    while (i < results.length) {
      // Whole lines, as many as fit in one atomic write.
      const lines: string[] = []
      let bytes = 0
      while (i < results.length) {
        const line = commandLine(results[i]!, now)
        const n = byteLength(line)
        if (lines.length > 0 && bytes + n > PIPE_BUF) break
        lines.push(line)
        bytes += n
        i++
      }
      const buf = Buffer.from(lines.join(''))
      try {
        let off = 0
        // A pipe takes all of it or fails; a regular file (a test setup, another tool's spool) may take part.
        while (off < buf.length) {
          const { bytesWritten } = await this.#fh.write(buf, off)
          if (bytesWritten <= 0) throw Object.assign(new Error('the command file accepted no bytes'), { code: 'EIO' })
          off += bytesWritten
        }
      } catch (err) {
        if (errorCode(err) !== 'EAGAIN') await this.#closeFile()
        throw this.#failure(err, delivered)
      }
      delivered += lines.length
    }
  }

  async close(): Promise<void> {
    await this.#closeFile()
  }

  async #closeFile(): Promise<void> {
    const fh = this.#fh
    this.#fh = null
    await fh?.close().catch(() => {})
  }

  #failure(err: unknown, delivered: number): DeliveryFailure {
    const code = errorCode(err)
    const what = WHAT[code] ?? errorText(err)
    return new DeliveryFailure(code, `cannot write the Nagios command file ${this.target}: ${what} (${code})`, delivered, false)
  }
}
