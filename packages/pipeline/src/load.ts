import { BeerError, assertCloneable, isDescriptor } from '@beer/core'
import type { ModuleContext, ModuleDescriptor, ModuleKind, ModuleByKind, PlacementOptions } from '@beer/core'

/** A module as the user placed it: what to build and where to run it. */
export interface StageEntry<K extends ModuleKind = ModuleKind> {
  descriptor: ModuleDescriptor<K>
  placement?: PlacementOptions
}

/**
 * Checks a stage entry when the pipeline is built, before anything starts, so mistakes surface
 * as one clear error instead of a failure at the first message.
 */
export function validateEntry(entry: StageEntry, expected: ModuleKind | readonly ModuleKind[]): void {
  const d = entry.descriptor
  if (!isDescriptor(d)) {
    throw new BeerError(
      'BEER_ERR_MODULE_NOT_A_DESCRIPTOR',
      `expected a module descriptor (what a package factory such as file() returns), got ${describe(d)}`,
    )
  }
  const kinds = typeof expected === 'string' ? [expected] : expected
  if (!kinds.includes(d.kind)) {
    throw new BeerError(
      'BEER_ERR_MODULE_WRONG_KIND',
      `${d.name} is a ${d.kind} module; this stage takes ${kinds.join(' or ')} modules`,
      { module: d.name, kind: d.kind },
    )
  }
  assertCloneable(d.options, d.name)
  const p = entry.placement ?? {}
  const run = p.run ?? 'inline'
  if (run !== 'inline' && run !== 'worker' && run !== 'process') {
    throw new BeerError('BEER_ERR_PLACEMENT', `${d.name}: run: '${String(run)}' is not 'inline', 'worker' or 'process'`, {
      module: d.name,
      run,
    })
  }
  const instances = p.instances ?? 1
  if (!Number.isInteger(instances) || instances < 1 || instances > 256) {
    throw new BeerError('BEER_ERR_PLACEMENT', `${d.name}: instances: ${String(instances)} is not a whole number from 1 to 256`, {
      module: d.name,
      instances,
    })
  }
  if (instances > 1 && run === 'inline') {
    throw new BeerError(
      'BEER_ERR_PLACEMENT',
      `${d.name}: instances: ${instances} needs run: 'worker' or 'process'; inline there is one main thread to run on`,
      { module: d.name, instances },
    )
  }
  if (p.partitionBy !== undefined) {
    if (typeof p.partitionBy !== 'string' || !/^[^.\s]+(\.[^.\s]+)*$/.test(p.partitionBy)) {
      throw new BeerError('BEER_ERR_PLACEMENT', `${d.name}: partitionBy: expected a field path such as 'user.name', got ${JSON.stringify(p.partitionBy)}`, {
        module: d.name,
      })
    }
    if (d.kind === 'parser' || d.kind === 'decoder') {
      throw new BeerError(
        'BEER_ERR_PLACEMENT',
        `${d.name}: partitionBy applies to enrichers, analyzers and sinks, which see events; a parser sees raw messages`,
        { module: d.name },
      )
    }
  }
}

/** Imports the descriptor's module and calls its builder: the one seam placement plugs into. */
export async function buildInline<K extends ModuleKind>(
  d: ModuleDescriptor<K>,
  context: ModuleContext,
): Promise<ModuleByKind[K]> {
  let mod: Record<string, unknown>
  try {
    mod = (await import(d.module)) as Record<string, unknown>
  } catch (err) {
    throw new BeerError(
      'BEER_ERR_MODULE_LOAD',
      `${d.name}: cannot import ${d.module}: ${(err as Error).message}`,
      { module: d.name },
    )
  }
  const factory = mod[d.export]
  if (typeof factory !== 'function') {
    throw new BeerError(
      'BEER_ERR_MODULE_LOAD',
      `${d.name}: ${d.module} has no function export named '${d.export}'`,
      { module: d.name },
    )
  }
  const live = (await factory(d.options, context)) as ModuleByKind[K]
  const role = ({ decoder: 'decode', parser: 'parse', enricher: 'enrich', sink: 'write', analyzer: 'analyze' } as const)[d.kind as ModuleKind]
  if (live === null || typeof live !== 'object' || typeof (live as unknown as Record<string, unknown>)[role] !== 'function') {
    throw new BeerError(
      'BEER_ERR_MODULE_LOAD',
      `${d.name}: the ${d.export}() of ${d.module} did not return a ${d.kind} (an object with ${role}())`,
      { module: d.name },
    )
  }
  return live
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (typeof v === 'function') return `a function (${v.name || 'anonymous'}); call the factory: file(), not file`
  return typeof v
}
