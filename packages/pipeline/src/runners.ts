import { BeerError, toPlainError } from '@beer/core'
import type { Analyzer, Decoder, Enricher, Lifecycle, LogEvent, ModuleKind, Parser } from '@beer/core'
import { countDrop, countError, newMetrics } from './metrics.ts'
import type { ModuleMetrics } from './metrics.ts'

/**
 * The synchronous work of each stage, shared by the main thread (inline placement) and by the
 * guest in a worker or child process, so a module behaves the same wherever it runs.
 */

/** A built module with its counters. */
export interface Slot<M> {
  name: string
  kind: ModuleKind
  module: M
  metrics: ModuleMetrics
  startedAt: number
}

export function newSlot<M>(name: string, kind: ModuleKind, module: M): Slot<M> {
  return { name, kind, module, metrics: newMetrics(), startedAt: Date.now() }
}

/** The decoder, the parsers in order and the fallback: they always run together, in one place. */
export interface ParseGroup {
  decoder: Slot<Decoder> | undefined
  parsers: Slot<Parser>[]
  fallback: Slot<Parser> | undefined
  /** The stage's own drops (no parser and no fallback, or the fallback failed). */
  own: ModuleMetrics
}

export function parseInputs(g: ParseGroup, inputs: readonly unknown[], out: LogEvent[]): void {
  const d = g.decoder
  if (d) d.metrics.received_events += inputs.length
  for (let i = 0; i < inputs.length; i++) {
    let input = inputs[i]
    if (d) {
      try {
        input = d.module.decode(input)
      } catch (err) {
        countError(d.metrics, toPlainError(err).code)
        input = undefined
      }
      if (input === undefined) {
        countDrop(d.metrics, 'decode_failed')
        continue
      }
      d.metrics.sent_events++
    }
    parseOne(g, input, out)
  }
}

function parseOne(g: ParseGroup, input: unknown, out: LogEvent[]): void {
  const parsers = g.parsers
  for (let i = 0; i < parsers.length; i++) {
    const p = parsers[i]!
    let mine: unknown = false
    try {
      mine = p.module.isMine(input)
    } catch {
      // isMine must never throw; one that does is a bug in that parser, counted, not fatal.
      countError(p.metrics, 'BEER_ERR_PARSER_ISMINE_THREW')
      continue
    }
    if (mine !== true) {
      if (mine !== false) refuseAsync(p, mine)
      continue
    }
    p.metrics.received_events++
    try {
      const r = p.module.parse(input)
      if (isThenable(r)) throw asyncError(p, r)
      const n = collect(r, out)
      p.metrics.sent_events += n
      if (n === 0) countDrop(p.metrics, 'parser_returned_nothing')
    } catch (err) {
      const plain = toPlainError(err)
      countError(p.metrics, plain.code)
      runFallback(g, input, out, { parser: p.name, ...plain })
    }
    return
  }
  runFallback(g, input, out, undefined)
}

function runFallback(g: ParseGroup, input: unknown, out: LogEvent[], failure: Record<string, unknown> | undefined): void {
  const fallback = g.fallback
  if (!fallback) {
    countDrop(g.own, failure ? 'parse_error' : 'unclaimed')
    return
  }
  fallback.metrics.received_events++
  try {
    const before = out.length
    const n = collect(fallback.module.parse(input), out)
    fallback.metrics.sent_events += n
    if (failure) {
      for (let i = before; i < out.length; i++) {
        const ev = out[i]!
        ev.error = { code: failure.code, message: failure.message, type: failure.parser }
        ev.tags = [...((ev.tags as string[] | undefined) ?? []), 'beer_parse_failure']
      }
    }
  } catch (err) {
    countError(fallback.metrics, toPlainError(err).code)
    countDrop(g.own, 'fallback_error')
  }
}

export function enrichEvents(e: Slot<Enricher>, events: readonly LogEvent[]): void {
  e.metrics.received_events += events.length
  for (let i = 0; i < events.length; i++) {
    try {
      const r: unknown = e.module.enrich(events[i]!)
      if (r !== undefined) refuseAsync(e, r)
    } catch (err) {
      countError(e.metrics, toPlainError(err).code)
    }
  }
  e.metrics.sent_events += events.length
}

export function analyzeEvents(a: Slot<Analyzer>, events: readonly LogEvent[]): void {
  for (let i = 0; i < events.length; i++) {
    a.metrics.received_events++
    try {
      const r: unknown = a.module.analyze(events[i]!)
      if (r !== undefined) refuseAsync(a, r)
    } catch (err) {
      countError(a.metrics, toPlainError(err).code)
    }
  }
}

/**
 * Gives an analyzer's new event its provenance: `beer.emitter`, the ids of its causes, and its
 * hop count. Returns false when the hop limit drops it (counted on the emitter).
 */
export function stampEmitted(
  emitter: Slot<Analyzer>,
  event: LogEvent,
  causes: readonly LogEvent[] | undefined,
  maxHops: number,
): boolean {
  let hops = 0
  const ids: string[] = []
  for (const cause of causes ?? []) {
    hops = Math.max(hops, cause.beer?.hops ?? 0)
    ids.push(eventId(cause))
  }
  hops += 1
  if (hops > maxHops) {
    countDrop(emitter.metrics, 'hop_limit')
    return false
  }
  event.event ??= {}
  event.event.kind ??= 'alert'
  event.beer = { ...event.beer, emitter: emitter.name.replace(/\[\d+\]$/, ''), causes: ids, hops }
  emitter.metrics.sent_events++
  return true
}

/**
 * Counts the ids given to events. A batch that came back from a worker as text is written from
 * that text only if no id was given to one of its events meanwhile (the text would lack it).
 */
export const idsGiven = { count: 0 }

export function eventId(ev: LogEvent): string {
  ev.event ??= {}
  // Ids are given only to events another event points at: most events never need one.
  if (ev.event.id === undefined) {
    ev.event.id = crypto.randomUUID()
    idsGiven.count++
  }
  return ev.event.id
}

/**
 * Enrichers and analyzers are synchronous. One that returns a promise (an async method) would
 * otherwise fail unseen or crash the process on rejection: count it and keep its rejection.
 */
export function refuseAsync(slot: Slot<unknown>, value: unknown): void {
  if (!isThenable(value)) return
  countError(slot.metrics, 'BEER_ERR_MODULE_ASYNC')
  ;(value as Promise<unknown>).then(undefined, (err: unknown) => countError(slot.metrics, toPlainError(err).code))
}

function asyncError(slot: Slot<unknown>, value: unknown): BeerError {
  ;(value as Promise<unknown>).then(undefined, () => {})
  return new BeerError('BEER_ERR_MODULE_ASYNC', `${slot.name}: parse() returned a promise; parsers are synchronous`)
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function'
}

function collect(r: LogEvent | LogEvent[] | null | undefined, out: LogEvent[]): number {
  if (r === null || r === undefined) return 0
  if (Array.isArray(r)) {
    for (const e of r) out.push(e)
    return r.length
  }
  out.push(r)
  return 1
}

/** Reads a dotted field path (`user.name`) of an event. */
export function fieldAt(event: LogEvent, path: readonly string[]): unknown {
  let v: unknown = event
  for (let i = 0; i < path.length; i++) {
    // The event's own fields only: `constructor` or `__proto__` name no field of plain data.
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, path[i]!)) return undefined
    v = (v as Record<string, unknown>)[path[i]!]
  }
  return v
}

export interface SlotAnswer {
  module: string
  answer?: unknown
  error?: { code: string; message: string }
}

/**
 * Asks each module a command, in order. `flush` calls flush() (its answer is 'flushed'); other
 * commands go to command(); `undefined` means the module ignores it. An error becomes that
 * module's answer and is counted, never thrown.
 */
export async function commandSlots(slots: readonly Slot<Lifecycle>[], name: string, args: unknown): Promise<SlotAnswer[]> {
  const answers: SlotAnswer[] = []
  for (const slot of slots) {
    try {
      let answer: unknown
      if (name === 'flush' && slot.module.flush) {
        // flush() is the module's answer to the flush command; it is not asked twice.
        await slot.module.flush()
        answer = 'flushed'
      } else if (slot.module.command) answer = await slot.module.command(name, args)
      if (answer !== undefined) answers.push({ module: slot.name, answer })
    } catch (err) {
      const e = toPlainError(err)
      countError(slot.metrics, e.code)
      answers.push({ module: slot.name, error: { code: e.code, message: e.message } })
    }
  }
  return answers
}
