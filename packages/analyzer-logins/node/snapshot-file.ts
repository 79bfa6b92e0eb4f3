// The snapshot store of @beer/analyzer-logins on a file system, through node:fs (Node, Bun and
// Deno implement it). Kept apart from the analyzer, which uses web-standard globals only.
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises'
import path from 'node:path'
import type { SnapshotStore } from '@beer/analyzer-logins'

/**
 * Lines are written, and read, in chunks of about this many characters: no string the size of
 * the file, whose fresh memory costs more than the copying on some virtual machines.
 */
const CHUNK = 1 << 20

/**
 * A snapshot in one file, one line per record. Writes go to a temporary file in the same folder,
 * synced, then renamed over the snapshot (rename is atomic within a file system, POSIX
 * rename(2)), so a crash or a full disk mid-write leaves the previous snapshot whole.
 */
export function openSnapshotStore(file: string): SnapshotStore {
  const target = path.resolve(file)
  const dir = path.dirname(target)
  let tmpCounter = 0
  return {
    where: target,

    async read() {
      try {
        if (!(await stat(target)).isFile()) return undefined
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ENOENT') return undefined
        throw err
      }
      return lines(target)
    },

    async write(lines) {
      await mkdir(dir, { recursive: true, mode: 0o750 })
      const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${tmpCounter++}.tmp`)
      // 0600: profiles say who logs in where and when; nobody else's to read.
      const fh = await open(tmp, 'w', 0o600)
      try {
        // One buffer, filled and written again and again: fresh memory for every chunk costs
        // more than the copying on some virtual machines.
        const buf = Buffer.allocUnsafe(CHUNK * 2)
        let used = 0
        for (const line of lines) {
          if (used + line.length * 3 + 1 > buf.length) {
            await fh.write(buf, 0, used)
            used = 0
          }
          if (line.length * 3 + 1 > buf.length) {
            await fh.write(line + '\n')
            continue
          }
          used += buf.write(line, used, 'utf8')
          buf[used++] = 10
        }
        if (used > 0) await fh.write(buf, 0, used)
        await fh.datasync()
      } catch (err) {
        await fh.close().catch(() => {})
        await unlink(tmp).catch(() => {})
        throw err
      }
      await fh.close()
      try {
        await rename(tmp, target)
      } catch (err) {
        await unlink(tmp).catch(() => {})
        throw err
      }
    },

    async setAside() {
      const aside = `${target}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
      try {
        await rename(target, aside)
        return aside
      } catch {
        return undefined
      }
    },
  }
}

/**
 * The file's lines (without their LF), in batches: what is in the buffer up to its last LF is
 * decoded at once (an LF never splits a UTF-8 sequence), the rest moved to the front for the next
 * read. One buffer for the whole file; several times faster than node:readline.
 */
async function* lines(file: string): AsyncGenerator<string[]> {
  const fh = await open(file, 'r')
  try {
    let buf = Buffer.allocUnsafe(CHUNK)
    let carry = 0
    for (;;) {
      const { bytesRead } = await fh.read(buf, carry, buf.length - carry, null)
      const end = carry + bytesRead
      if (bytesRead === 0) {
        if (end > 0) yield [buf.toString('utf8', 0, end)]
        return
      }
      const nl = buf.lastIndexOf(10, end - 1)
      if (nl < 0) {
        // A line longer than the buffer: a bigger one.
        if (end === buf.length) {
          const bigger = Buffer.allocUnsafe(buf.length * 2)
          buf.copy(bigger, 0, 0, end)
          buf = bigger
        }
        carry = end
        continue
      }
      yield buf.toString('utf8', 0, nl).split('\n')
      carry = end - nl - 1
      buf.copy(buf, 0, nl + 1, end)
    }
  } finally {
    await fh.close()
  }
}
