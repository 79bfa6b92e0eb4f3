import type { ModuleDescriptor, ModuleKind } from './module.ts'

/**
 * Builds a descriptor. `moduleUrl` is the `import.meta.url` of the file that exports the
 * builder, so the same descriptor works from sources and from built files.
 */
export function describeModule<K extends ModuleKind, O>(
  kind: K,
  name: string,
  moduleUrl: string,
  options: O,
  exportName = 'create',
): ModuleDescriptor<K, O> {
  return { kind, name, module: moduleUrl, export: exportName, options }
}

export function isDescriptor(value: unknown): value is ModuleDescriptor {
  if (value === null || typeof value !== 'object') return false
  const d = value as Record<string, unknown>
  return (
    typeof d.kind === 'string' &&
    typeof d.name === 'string' &&
    typeof d.module === 'string' &&
    typeof d.export === 'string'
  )
}
