import type { LogEvent } from '@beer/core'
import { joinLines, splitEvents, UNREADABLE, valueInLine } from '../codec.ts'
import type { Ndjson } from '../codec.ts'
import { fieldAt } from '../runners.ts'
import { RemoteInstance } from './instance.ts'
import type { InstanceHooks, SupervisionOptions, WorkResult } from './instance.ts'
import type { InitMessage, Payload } from './protocol.ts'

/**
 * The instances of one hosted stage. Stateless stages go to the least busy instance; a stage
 * with `partitionBy` sends every event to the instance its key hashes to, so a key's state and
 * order stay in one place.
 */
export class RemotePool {
  readonly instances: RemoteInstance[]
  readonly partitionPath: readonly string[] | undefined
  private turn = 0

  constructor(
    placement: 'worker' | 'process',
    inits: InitMessage[],
    partitionBy: string | undefined,
    o: SupervisionOptions,
    hooks: (index: number) => InstanceHooks,
  ) {
    this.instances = inits.map((init, i) => new RemoteInstance(placement, i, init, o, hooks(i)))
    this.partitionPath = partitionBy === undefined ? undefined : partitionBy.split('.')
  }

  async start(): Promise<void> {
    const results = await Promise.allSettled(this.instances.map((i) => i.start()))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) {
      await this.stop()
      throw failed.reason
    }
  }

  /** Batches queued or unacknowledged, over all instances. */
  get depth(): number {
    let n = 0
    for (const i of this.instances) n += i.depth
    return n
  }

  submit(payload: Payload, events?: readonly LogEvent[]): Promise<WorkResult> {
    if (this.partitionPath && this.instances.length > 1 && payload.text !== undefined) {
      return this.submitPartitioned(payload.text, events)
    }
    return this.pick().submit(payload)
  }

  private pick(): RemoteInstance {
    const n = this.instances.length
    if (n === 1) return this.instances[0]!
    let best: RemoteInstance | undefined
    for (let k = 0; k < n; k++) {
      const inst = this.instances[(this.turn + k) % n]!
      if (!inst.available) continue
      // A running instance before one waiting out its restart delay, then the least busy.
      if (!best || (inst.running && !best.running) || (inst.running === best.running && inst.depth < best.depth)) best = inst
    }
    this.turn = (this.turn + 1) % n
    return best ?? this.instances[0]!
  }

  private async submitPartitioned(text: Ndjson, events: readonly LogEvent[] | undefined): Promise<WorkResult> {
    const lines = splitEvents(text)
    const n = this.instances.length
    const groups: number[][] = Array.from({ length: n }, () => [])
    const path = this.partitionPath!
    for (let i = 0; i < lines.length; i++) {
      const ev = events?.[i]
      let key: unknown
      if (ev !== undefined) key = fieldAt(ev, path)
      else {
        // Text from a worker: the key is read from the line; the event is parsed only when the
        // scan cannot tell (an object as the key, text JSON.stringify does not write).
        key = valueInLine(lines[i]!, path)
        if (key === UNREADABLE) key = fieldAt(JSON.parse(lines[i]!) as LogEvent, path)
      }
      groups[partitionOf(key, n)]!.push(i)
    }
    const parts = await Promise.all(
      groups.map((idx, k) =>
        idx.length === 0
          ? undefined
          : this.instances[k]!.submit({ text: joinLines(idx.map((i) => lines[i]!)), count: idx.length }),
      ),
    )
    // Put the results back in the order of the batch.
    const out: WorkResult = { count: 0 }
    const resultLines: (string | undefined)[] = new Array(lines.length)
    let withText = false
    parts.forEach((r, k) => {
      if (!r) return
      const idx = groups[k]!
      for (const [j, id] of r.ids ?? []) (out.ids ??= []).push([idx[j]!, id])
      if (r.text !== undefined) {
        withText = true
        const back = splitEvents(r.text)
        // Enrichers return one event per event; anything else keeps its own order at the end.
        if (back.length === idx.length) back.forEach((l, j) => (resultLines[idx[j]!] = l))
        else resultLines.push(...back)
      }
      out.count += r.count
    })
    if (withText) out.text = joinLines(resultLines.filter((l): l is string => l !== undefined))
    return out
  }

  tick(now: number, late: boolean): void {
    for (const i of this.instances) {
      if (late) i.excuse(now)
      i.tick(now)
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.instances.map((i) => i.stop()))
  }
}

/** FNV-1a over the key's text: stable across restarts and runtimes, so a key keeps its instance. */
export function partitionOf(key: unknown, n: number): number {
  const s = key === undefined || key === null ? '' : typeof key === 'string' ? key : JSON.stringify(key)
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % n
}

