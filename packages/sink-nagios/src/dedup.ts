/** What the sink remembers of one host and service. */
interface Entry {
  host: string
  service: string | null
  /** Return code last sent. */
  code: number
  /** When a result for it was last sent (queued). */
  sentAt: number
  /** When an alert last named it, sent or suppressed. */
  seenAt: number
  /** Suppressed since the last one sent. */
  suppressed: number
}

export type Verdict = { send: true; suppressedBefore: number } | { send: false }

/**
 * Rate limit per host and service: a result with the state last sent for it, within `intervalMs`
 * of that send, is suppressed. Keyed on host and service, not on the state as well: after
 * CRITICAL, WARNING, CRITICAL the last CRITICAL must go out, since Nagios shows WARNING by then.
 * Bounded to `maxKeys` entries, the least recently seen forgotten first.
 */
export class Dedup {
  readonly #intervalMs: number
  readonly #keepMs: number
  readonly #maxKeys: number
  readonly #entries = new Map<string, Entry>()

  constructor(intervalMs: number, keepMs: number, maxKeys: number) {
    this.#intervalMs = intervalMs
    this.#keepMs = Math.max(intervalMs, keepMs)
    this.#maxKeys = maxKeys
  }

  get size(): number {
    return this.#entries.size
  }

  check(key: string, host: string, service: string | null, code: number, now: number): Verdict {
    const e = this.#entries.get(key)
    if (e) {
      // Map order is least recently seen first.
      this.#entries.delete(key)
      this.#entries.set(key, e)
      e.seenAt = now
      if (e.code === code && now - e.sentAt < this.#intervalMs) {
        e.suppressed++
        return { send: false }
      }
      const suppressedBefore = e.code === code ? e.suppressed : 0
      e.code = code
      e.sentAt = now
      e.suppressed = 0
      return { send: true, suppressedBefore }
    }
    this.#entries.set(key, { host, service, code, sentAt: now, seenAt: now, suppressed: 0 })
    if (this.#entries.size > this.#maxKeys) this.#entries.delete(this.#entries.keys().next().value!)
    return { send: true, suppressedBefore: 0 }
  }

  /** A queued result was dropped before delivery: the next alert for it must not be suppressed. */
  forget(key: string, sentAt: number): void {
    const e = this.#entries.get(key)
    if (e && e.sentAt === sentAt) e.sentAt = -Infinity
  }

  /**
   * Host and service pairs whose last result was not OK and that no alert named for `afterMs`:
   * each is marked OK (as though sent now) and returned, for the caller to send OK.
   */
  takeQuiet(now: number, afterMs: number): Array<{ key: string; host: string; service: string | null }> {
    const out: Array<{ key: string; host: string; service: string | null }> = []
    for (const [key, e] of this.#entries) {
      if (e.code !== 0 && now - e.seenAt >= afterMs) {
        e.code = 0
        e.sentAt = now
        e.suppressed = 0
        out.push({ key, host: e.host, service: e.service })
      }
    }
    return out
  }

  /** Forgets entries nothing needs any more: past the interval, and (when resolving) already OK. */
  sweep(now: number, resolving: boolean): void {
    for (const [key, e] of this.#entries) {
      if (now - e.seenAt < this.#keepMs) break
      if (resolving && e.code !== 0) continue
      this.#entries.delete(key)
    }
  }

  clear(): number {
    const n = this.#entries.size
    this.#entries.clear()
    return n
  }
}
