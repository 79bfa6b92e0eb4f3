/**
 * One address's history: who held it from when to when, as learned from events. Every entry is an
 * interval [start, end) in epoch milliseconds, of one source kind (`dhcp`, `vpn`, `userid`,
 * `login`, or a kind a site's own rule names). Within a kind, intervals of different holders never
 * overlap: an address is leased to one client, assigned to one tunnel, mapped to one user at a
 * time. Events may arrive late and out of order, so every operation is written to give the same
 * history whatever order its observations came in.
 */
export interface Binding {
  kind: string
  start: number
  /** Exclusive. */
  end: number
  /**
   * The end was stated (a release, a logout, a successor holder) rather than a lease or TTL
   * running out. A closed entry is not stretched by a renewal that arrives late.
   */
  closed: boolean
  user?: string
  domain?: string
  host?: string
  mac?: string
}

/** What an end event names to pick the binding it ends; fields it lacks match any holder. */
export interface EndMatch {
  user?: string
  mac?: string
  host?: string
}

/** The holder an entry stands for: its MAC, else its user, else its host name ('' for none). */
export function holderOf(b: { mac?: string | undefined; user?: string | undefined; host?: string | undefined }): string {
  if (b.mac !== undefined) return 'm:' + b.mac
  if (b.user !== undefined) return 'u:' + b.user.toLowerCase()
  if (b.host !== undefined) return 'h:' + b.host.toLowerCase()
  return ''
}

function isMarker(b: Binding): boolean {
  return b.start === b.end
}

function takeAttributes(into: Binding, from: Binding, newer: boolean): void {
  if (from.user !== undefined && (newer || into.user === undefined)) {
    into.user = from.user
    if (from.domain !== undefined) into.domain = from.domain
    else if (newer) delete into.domain
  } else if (from.domain !== undefined && into.domain === undefined && into.user !== undefined) into.domain = from.domain
  if (from.host !== undefined && (newer || into.host === undefined)) into.host = from.host
  if (from.mac !== undefined && (newer || into.mac === undefined)) into.mac = from.mac
}

function insertSorted(list: Binding[], b: Binding): void {
  let i = list.length
  while (i > 0 && list[i - 1]!.start > b.start) i--
  list.splice(i, 0, b)
}

/**
 * Adds what one event taught: `b` held the address over [b.start, b.end). Returns the entries that
 * changed (the new or widened one, and any of another holder it cut short), so a shared store
 * can write just those. `b` itself may become part of the list: pass a fresh object.
 */
export function bind(list: Binding[], b: Binding): Binding[] {
  const id = holderOf(b)
  const changed: Binding[] = []
  let target: Binding | undefined
  for (const x of list) {
    if (x.kind !== b.kind || holderOf(x) !== id) continue
    if (x.closed) {
      if (b.start >= x.start && b.start < x.end) {
        // A renewal from within a session that has since ended: it cannot outlive the end.
        target = x
      } else if (b.start < x.start && b.end >= x.start) {
        // The start of a session whose end (or later renewal) came first.
        x.start = b.start
        target = x
      } else continue
      takeAttributes(x, b, b.start >= x.start)
      changed.push(x)
      break
    }
    if (b.start <= x.end && (b.closed ? b.end > x.start : b.end >= x.start)) {
      const newer = b.start >= x.start
      x.start = Math.min(x.start, b.start)
      if (b.closed) {
        // Another collector saw this session end (or a successor take over): the end stands.
        x.end = b.end
        x.closed = true
      } else x.end = Math.max(x.end, b.end)
      takeAttributes(x, b, newer)
      target = x
      changed.push(x)
      break
    }
  }
  const t = target ?? b
  for (const y of list) {
    if (y === t || y.kind !== t.kind) continue
    const yid = holderOf(y)
    if (isMarker(y)) {
      // An end that came before (or apart from) its start: this holder's, or one naming nobody,
      // which ends whoever held the address then.
      if ((yid === '' || yid === id) && y.start > t.start && y.start < t.end) {
        t.end = y.start
        t.closed = true
      }
      continue
    }
    if (yid === id) continue
    if (y.start < t.start && y.end > t.start) {
      // Another holder until this one took over.
      y.end = t.start
      y.closed = true
      changed.push(y)
    } else if (y.start >= t.start && y.start < t.end) {
      if (y.start === t.start && target === undefined) {
        // Two holders from the same instant: the one learned last wins.
        y.end = y.start
        y.closed = true
        changed.push(y)
      } else {
        t.end = y.start
        t.closed = true
      }
    }
  }
  if (target === undefined) {
    insertSorted(list, b)
    changed.push(b)
  } else if (!changed.includes(t)) changed.push(t)
  return changed
}

/**
 * Ends, at `at`, the `kind` binding that held the address then (if `match` names a holder, only
 * that holder's). When none is known yet (the end came before its start), a zero-length entry
 * remembers the end so that the start, once it arrives, is cut there. Returns what changed.
 */
export function end(list: Binding[], kind: string, at: number, match: EndMatch, remember = true): Binding[] {
  for (const x of list) {
    if (x.kind !== kind || !matches(x, match)) continue
    if (x.start <= at && at < x.end) {
      x.end = at
      x.closed = true
      return [x]
    }
    // The same end seen twice (a repeat, or from another collector).
    if (x.closed && x.end === at) return []
  }
  if (!remember) return []
  const marker: Binding = { kind, start: at, end: at, closed: true }
  if (match.user !== undefined) marker.user = match.user
  if (match.mac !== undefined) marker.mac = match.mac
  if (match.host !== undefined) marker.host = match.host
  insertSorted(list, marker)
  return [marker]
}

function matches(x: Binding, m: EndMatch): boolean {
  if (m.mac !== undefined && x.mac !== m.mac) return false
  if (m.user !== undefined && (x.user === undefined || x.user.toLowerCase() !== m.user.toLowerCase())) return false
  if (m.host !== undefined && (x.host === undefined || x.host.toLowerCase() !== m.host.toLowerCase())) return false
  return true
}

/** Who held the address at `at`: for each attribute, the binding that covers `at` and began last. */
export interface Holders {
  user: Binding | undefined
  host: Binding | undefined
  mac: Binding | undefined
}

export function holdersAt(list: readonly Binding[], at: number, out: Holders): boolean {
  let found = false
  for (let i = 0; i < list.length; i++) {
    const x = list[i]!
    if (x.start > at) break
    if (at >= x.end) continue
    if (x.user !== undefined && (out.user === undefined || x.start >= out.user.start)) out.user = x
    if (x.host !== undefined && (out.host === undefined || x.start >= out.host.start)) out.host = x
    if (x.mac !== undefined && (out.mac === undefined || x.start >= out.mac.start)) out.mac = x
    found = true
  }
  return found
}

/**
 * Drops entries that ended before `horizon`, then, past `max` entries, those that ended first.
 * Returns how many were dropped.
 */
export function prune(list: Binding[], horizon: number, max: number): number {
  const before = list.length
  let w = 0
  for (let r = 0; r < list.length; r++) {
    const x = list[r]!
    if (x.end >= horizon) list[w++] = x
  }
  list.length = w
  while (list.length > max) {
    let oldest = 0
    for (let i = 1; i < list.length; i++) if (list[i]!.end < list[oldest]!.end) oldest = i
    list.splice(oldest, 1)
  }
  return before - list.length
}
