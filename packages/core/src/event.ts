/**
 * A log event: a plain JSON-compatible object shaped by the Elastic Common Schema (ECS).
 * Only the fields the runtime itself reads are typed; everything else is open.
 * It must survive `structuredClone` and `JSON.stringify` unchanged (see docs/architecture.md).
 */
export interface LogEvent {
  '@timestamp'?: string
  message?: string
  event?: EventFields
  log?: { [key: string]: unknown }
  related?: { ip?: string[]; user?: string[]; hosts?: string[]; hash?: string[] }
  beer?: BeerFields
  [field: string]: unknown
}

export interface EventFields {
  id?: string
  kind?: 'event' | 'alert' | 'signal' | 'metric' | 'state' | 'pipeline_error'
  created?: string
  original?: string
  [field: string]: unknown
}

/** Fields the runtime adds to events an analyzer emits, so every alert says where it came from. */
export interface BeerFields {
  /** Name of the module that emitted this event. */
  emitter?: string
  /** `event.id` of the events that caused this one. */
  causes?: string[]
  /** How many analyzer hops this event is from a received message; bounded to stop loops. */
  hops?: number
  /** Set when a parser could only partly read the message. */
  partial?: boolean
  [field: string]: unknown
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** True for keys that must never be copied from input into an event. */
export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key)
}
