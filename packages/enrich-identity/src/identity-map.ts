import { bind, end, holdersAt, prune, type Binding, type EndMatch, type Holders } from './history.ts'

/** A binding the operator stated: always in force, answering when nothing learned covers the time. */
export type StaticEntry = Omit<Binding, 'start' | 'end' | 'closed'> & { kind: 'static' }

/** The history of every address this process knows, and the operator's static entries. */
export class IdentityMap {
  readonly #ips = new Map<string, Binding[]>()
  readonly #statics = new Map<string, StaticEntry>()
  /** The addresses each user (lower-case) has held, for ends that name a user and no address. */
  readonly #byUser = new Map<string, Set<string>>()
  readonly #maxHistory: number
  readonly #maxAddresses: number
  readonly #found: Holders = { user: undefined, host: undefined, mac: undefined }
  /** Addresses forgotten to stay within maxAddresses. */
  evicted = 0

  constructor(maxHistory: number, maxAddresses: number) {
    this.#maxHistory = maxHistory
    this.#maxAddresses = maxAddresses
  }

  setStatic(ip: string, entry: StaticEntry): void {
    this.#statics.set(ip, entry)
  }

  get staticCount(): number {
    return this.#statics.size
  }

  get addresses(): number {
    return this.#ips.size
  }

  /** Bindings held, end markers included. */
  countBindings(): number {
    let n = 0
    for (const list of this.#ips.values()) n += list.length
    return n
  }

  #list(ip: string): Binding[] {
    let list = this.#ips.get(ip)
    if (list === undefined) {
      if (this.#ips.size >= this.#maxAddresses) {
        // Maps iterate in insertion order: the first key is the address first learned.
        this.#ips.delete(this.#ips.keys().next().value!)
        this.evicted++
      }
      list = []
      this.#ips.set(ip, list)
    }
    return list
  }

  /** Learns that `b` held `ip`; returns the entries that changed. */
  bind(ip: string, b: Binding): Binding[] {
    const list = this.#list(ip)
    const changed = bind(list, b)
    if (list.length > this.#maxHistory) prune(list, -Infinity, this.#maxHistory)
    if (b.user !== undefined) {
      const key = b.user.toLowerCase()
      const ips = this.#byUser.get(key)
      if (ips === undefined) this.#byUser.set(key, new Set([ip]))
      else ips.add(ip)
    }
    return changed
  }

  /**
   * Ends, at `at`, the `kind` binding `user` held then, at whichever address. Returns the
   * addresses and entries that changed.
   */
  endHeldBy(kind: string, user: string, at: number): [string, Binding[]][] {
    const key = user.toLowerCase()
    const ips = this.#byUser.get(key)
    if (ips === undefined) return []
    const out: [string, Binding[]][] = []
    for (const ip of ips) {
      const list = this.#ips.get(ip)
      if (list === undefined || !list.some((b) => b.user !== undefined && b.user.toLowerCase() === key)) {
        ips.delete(ip)
        continue
      }
      const changed = end(list, kind, at, { user }, false)
      if (changed.length > 0) out.push([ip, changed])
    }
    if (ips.size === 0) this.#byUser.delete(key)
    return out
  }

  /** Ends the `kind` binding of `ip` at `at`; returns the entries that changed. */
  end(ip: string, kind: string, at: number, match: EndMatch): Binding[] {
    const list = this.#list(ip)
    const changed = end(list, kind, at, match)
    if (list.length > this.#maxHistory) prune(list, -Infinity, this.#maxHistory)
    return changed
  }

  /** Takes in an entry another collector (through Redis) or a snapshot holds. */
  merge(ip: string, entry: Binding): void {
    if (entry.start === entry.end) {
      const match: EndMatch = {}
      if (entry.user !== undefined) match.user = entry.user
      if (entry.mac !== undefined) match.mac = entry.mac
      if (entry.host !== undefined) match.host = entry.host
      this.end(ip, entry.kind, entry.start, match)
    } else this.bind(ip, { ...entry })
  }

  /**
   * Who held `ip` at `at`: learned bindings first, the static entry for what they leave open.
   * The returned object is reused by the next call.
   */
  holders(ip: string, at: number): Holders | undefined {
    const h = this.#found
    h.user = h.host = h.mac = undefined
    const list = this.#ips.get(ip)
    let found = list !== undefined && holdersAt(list, at, h)
    const s = this.#statics.get(ip)
    if (s !== undefined) {
      const b = s as unknown as Binding
      if (h.user === undefined && s.user !== undefined) h.user = b
      if (h.host === undefined && s.host !== undefined) h.host = b
      if (h.mac === undefined && s.mac !== undefined) h.mac = b
      found = true
    }
    return found ? h : undefined
  }

  history(ip: string): readonly Binding[] {
    return this.#ips.get(ip) ?? []
  }

  staticOf(ip: string): StaticEntry | undefined {
    return this.#statics.get(ip)
  }

  has(ip: string): boolean {
    return this.#ips.has(ip)
  }

  /** Drops bindings that ended before `horizon` and addresses left with none. Returns how many bindings went. */
  sweep(horizon: number): number {
    let dropped = 0
    for (const [ip, list] of this.#ips) {
      dropped += prune(list, horizon, this.#maxHistory)
      if (list.length === 0) this.#ips.delete(ip)
    }
    return dropped
  }

  clear(): void {
    this.#ips.clear()
    this.#byUser.clear()
  }

  entries(): IterableIterator<[string, Binding[]]> {
    return this.#ips.entries()
  }
}
