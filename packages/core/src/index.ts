export { BeerError, toPlainError, hasCode } from './errors.ts'
export type { PlainError } from './errors.ts'
export type { LogEvent, EventFields, BeerFields } from './event.ts'
export { isForbiddenKey } from './event.ts'
export type {
  ModuleKind,
  ModuleDescriptor,
  Placement,
  PlacementOptions,
  Logger,
  ModuleContext,
  Lifecycle,
  Decoder,
  Parser,
  Enricher,
  Sink,
  Analyzer,
  ModuleByKind,
  ModuleFactory,
} from './module.ts'
export { describeModule, isDescriptor } from './descriptor.ts'
export { assertCloneable } from './cloneable.ts'
