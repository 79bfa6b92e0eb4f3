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
  const run = entry.placement?.run ?? 'inline'
  if (run !== 'inline') {
    throw new BeerError(
      'BEER_ERR_PLACEMENT_UNSUPPORTED',
      `${d.name}: run: '${run}' is not available in this version; use run: 'inline' (the default)`,
      { module: d.name, run },
    )
  }
  const instances = entry.placement?.instances ?? 1
  if (!Number.isInteger(instances) || instances !== 1) {
    throw new BeerError(
      'BEER_ERR_PLACEMENT_UNSUPPORTED',
      `${d.name}: instances: ${String(instances)} needs worker or process placement, not available in this version; remove it`,
      { module: d.name, instances },
    )
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
  const role = { parser: 'parse', enricher: 'enrich', sink: 'write', analyzer: 'analyze' }[d.kind]
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
