import { toPlainError } from '@beer/core'
import type { Analyzer, Decoder, Enricher, Lifecycle, LogEvent, ModuleContext, Parser, Sink } from '@beer/core'
import { decodeEvents, encodeEvents, unpackInputs } from '../codec.ts'
import { buildInline } from '../load.ts'
import { consoleLogger } from '../logger.ts'
import type { ModuleMetrics } from '../metrics.ts'
import { analyzeEvents, commandSlots, enrichEvents, isThenable, newSlot, parseInputs, stampEmitted } from '../runners.ts'
import type { ParseGroup, Slot } from '../runners.ts'
import type { GuestBody, GuestMessage, HostMessage, HostedModule, InitMessage, Payload, Usage } from './protocol.ts'

/** How a guest talks to its host: a worker's parentPort or a child process's IPC channel. */
export interface GuestPort {
  send(message: GuestMessage): void
  onMessage(handler: (message: HostMessage) => void): void
  exit(code: number): void
  usage(): Usage
  pid: number
  threadId: number
}

/**
 * The body of a worker thread or child process that runs modules: builds them from descriptors,
 * handles batches in order of arrival, and acknowledges each one only once it is handled.
 */
export function runGuest(guestPort: GuestPort): { fatal(err: unknown): void } {
  let key: string | undefined
  const port = { ...guestPort, send: (m: GuestBody): void => guestPort.send({ ...m, k: key } as GuestMessage) }
  let role: InitMessage['role'] | undefined
  let group: ParseGroup | undefined
  let single: Slot<Lifecycle> | undefined
  let all: Slot<Lifecycle>[] = []
  let maxHops = 4
  let emitted: LogEvent[] = []
  let emitScheduled = false
  let stopping = false
  /** Set once every module has flushed: an analyzer may still raise events while flushing. */
  let closing = false

  const metricsOf = (): Record<string, ModuleMetrics> => {
    const out: Record<string, ModuleMetrics> = {}
    for (const s of all) out[s.name] = s.metrics
    if (group) out[''] = group.own
    return out
  }

  const build = async <M>(h: HostedModule, instance: number): Promise<Slot<M>> => {
    const slot = newSlot<M>(h.name, h.descriptor.kind, undefined as M)
    const context: ModuleContext = {
      name: h.name,
      instance,
      log: consoleLogger(h.name),
      emit: (event, causes) => emit(slot as Slot<unknown> as Slot<Analyzer>, event, causes),
    }
    slot.module = (await buildInline(h.descriptor, context)) as M
    all.push(slot as Slot<Lifecycle>)
    return slot
  }

  function emit(from: Slot<Analyzer>, event: LogEvent, causes?: readonly LogEvent[]): void {
    if (role !== 'analyze' || closing) return
    if (!stampEmitted(from, event, causes, maxHops)) return
    emitted.push(event)
    if (!emitScheduled) {
      emitScheduled = true
      queueMicrotask(flushEmitted)
    }
  }

  function flushEmitted(): void {
    emitScheduled = false
    if (emitted.length === 0) return
    const batch = emitted
    emitted = []
    port.send({ t: 'emit', ...encode(batch, single) })
  }

  async function init(m: InitMessage): Promise<void> {
    role = m.role
    maxHops = m.maxHops
    try {
      for (const spec of m.preload) await import(spec)
      if (m.role === 'parse') {
        const decoder = m.modules.decoder ? await build<Decoder>(m.modules.decoder, m.instance) : undefined
        const parsers: Slot<Parser>[] = []
        for (const p of m.modules.parsers ?? []) parsers.push(await build<Parser>(p, m.instance))
        const fallback = m.modules.fallback ? await build<Parser>(m.modules.fallback, m.instance) : undefined
        group = { decoder, parsers, fallback, own: { received_events: 0, sent_events: 0, dropped_events: {}, errors: {} } }
      } else {
        single = await build<Lifecycle>(m.modules.module!, m.instance)
      }
      port.send({ t: 'ready', pid: port.pid, threadId: port.threadId })
    } catch (err) {
      await Promise.allSettled(all.map((s) => s.module?.close?.()))
      port.send({ t: 'fatal', error: toPlainError(err) })
      port.exit(1)
    }
  }

  /** Serializes what a module made; events JSON cannot carry are counted on the module that made them. */
  function encode(events: LogEvent[], by: Slot<unknown> | undefined): { text: string[]; count: number } {
    let refused = 0
    const text = encodeEvents(events, () => refused++)
    if (refused > 0) {
      const m = by?.metrics ?? group?.own
      if (m) m.dropped_events.not_serializable = (m.dropped_events.not_serializable ?? 0) + refused
    }
    return { text, count: events.length - refused }
  }

  function handle(seq: number, p: Payload): void {
    if (role === 'parse') {
      const out: LogEvent[] = []
      parseInputs(group!, p.inputs ?? [], out)
      port.send({ t: 'ack', seq, ...encode(out, undefined), metrics: metricsOf() })
      return
    }
    if (role === 'enrich') {
      const events = decodeEvents(p.text ?? [])
      enrichEvents(single as Slot<Enricher>, events)
      port.send({ t: 'ack', seq, ...encode(events, single), metrics: metricsOf() })
      return
    }
    if (role === 'analyze') {
      const events = decodeEvents(p.text ?? [])
      const had = events.map((e) => e.event?.id)
      analyzeEvents(single as Slot<Analyzer>, events)
      let ids: [number, string][] | undefined
      for (let i = 0; i < events.length; i++) {
        const id = events[i]!.event?.id
        if (id !== undefined && had[i] === undefined) (ids ??= []).push([i, id])
      }
      // Emitted events leave before the ack, so the host routes them before it closes the batch.
      flushEmitted()
      port.send(ids ? { t: 'ack', seq, ids, metrics: metricsOf() } : { t: 'ack', seq, metrics: metricsOf() })
      return
    }
    const sink = single as Slot<Sink>
    sink.metrics.received_events += p.count
    let r: void | Promise<void>
    try {
      r = sink.module.writeNdjson ? sink.module.writeNdjson(p.text ?? [], p.count) : sink.module.write(decodeEvents(p.text ?? []))
    } catch (err) {
      written(seq, p.count, err)
      return
    }
    if (isThenable(r)) r.then(() => written(seq, p.count, undefined), (err: unknown) => written(seq, p.count, err))
    else written(seq, p.count, undefined)
  }

  function written(seq: number, count: number, err: unknown): void {
    const m = single!.metrics
    if (err === undefined) m.sent_events += count
    else {
      const e = toPlainError(err)
      m.errors[e.code] = (m.errors[e.code] ?? 0) + 1
      m.dropped_events.sink_error = (m.dropped_events.sink_error ?? 0) + count
      consoleLogger(single!.name).error(`write failed: ${e.message}`)
    }
    port.send({ t: 'ack', seq, metrics: metricsOf() })
  }

  async function command(id: number, name: string, args: unknown): Promise<void> {
    port.send({ t: 'answer', id, answers: await commandSlots(all, name, args) })
  }

  async function stop(): Promise<void> {
    if (stopping) return
    stopping = true
    for (const slot of all) {
      try {
        await slot.module.flush?.()
      } catch (err) {
        consoleLogger(slot.name).error(`flush failed: ${toPlainError(err).message}`)
      }
    }
    closing = true
    flushEmitted()
    for (const slot of all) {
      try {
        await slot.module.close?.()
      } catch (err) {
        consoleLogger(slot.name).error(`close failed: ${toPlainError(err).message}`)
      }
    }
    port.send({ t: 'stopped' })
    port.exit(0)
  }

  port.onMessage((m) => {
    switch (m.t) {
      case 'batch':
        if (!stopping) handle(m.seq, m.packed !== undefined ? { inputs: unpackInputs(m.packed), count: m.count } : m)
        return
      case 'ping':
        port.send({ t: 'pong', at: m.at, usage: port.usage() })
        return
      case 'command':
        void command(m.id, m.name, m.args)
        return
      case 'init':
        key = m.key
        void init(m)
        return
      case 'stop':
        void stop()
        return
    }
  })
  return { fatal: (err) => port.send({ t: 'fatal', error: toPlainError(err) }) }
}
