// The state store for a local file: the one part of the package that needs node:fs (which Node,
// Bun and Deno all provide). The analyzer itself stays portable and imports this module only when
// the `state` option names it.
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
import path from 'node:path'
import type { StateOptions, StateStore } from '@beer/analyzer-sequences'

/**
 * Keeps the analyzer's state in `file`, saved every `every` (default 60 s), on `flush` and on stop:
 * `sequences({ state: stateFile('./data/sequences.json') })`. With several instances
 * (`partitionBy`), instance N > 0 uses `<file>.N`, or the file named with `{instance}` in it.
 */
export function stateFile(file: string, o: { every?: number | string } = {}): StateOptions {
  const out: StateOptions = { module: import.meta.url, path: file }
  if (o.every !== undefined) out.every = o.every
  return out
}

/** Opens the store; the analyzer calls this where it runs. */
export async function openStore(o: StateOptions, where: { instance: number }): Promise<StateStore> {
  const file = path.resolve(
    o.path.includes('{instance}') ? o.path.replaceAll('{instance}', String(where.instance)) : where.instance > 0 ? `${o.path}.${where.instance}` : o.path,
  )
  return {
    where: file,
    async load() {
      try {
        return await readFile(file, 'utf8')
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return undefined
        throw err
      }
    },
    async save(text) {
      const dir = path.dirname(file)
      await mkdir(dir, { recursive: true, mode: 0o750 })
      // A temporary file in the same folder, synced, then renamed over the state: a crash
      // mid-write leaves the previous state whole.
      const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`)
      // 0600: the state names accounts, hosts and addresses.
      const fh = await open(tmp, 'w', 0o600)
      try {
        await fh.writeFile(text, 'utf8')
        await fh.datasync()
      } catch (err) {
        await fh.close().catch(() => {})
        await unlink(tmp).catch(() => {})
        throw err
      }
      await fh.close()
      await rename(tmp, file)
    },
    async setAside() {
      const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
      try {
        await rename(file, aside)
        return aside
      } catch {
        return undefined
      }
    },
  }
}
