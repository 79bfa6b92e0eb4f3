import { BeerError } from '@beer/core'

/**
 * Where snapshots are kept. The analyzer itself touches no file system (it runs on any runtime);
 * the default store, `@beer/analyzer-logins/snapshot-file`, keeps them in a file with node:fs,
 * which Node, Bun and Deno all provide. A store elsewhere (a KV service, browser storage) is a
 * module exporting `openSnapshotStore(path)`, named by the `snapshotStore` option.
 */
export interface SnapshotStore {
  /** Where the snapshot is, for messages and `status`. */
  readonly where: string
  /** The lines of the saved snapshot, in batches of any size, or undefined when none was saved yet. */
  read(): Promise<AsyncIterable<readonly string[]> | Iterable<readonly string[]> | undefined>
  /** Replaces the saved snapshot with these lines, all or nothing. */
  write(lines: readonly string[]): Promise<void>
  /** Moves a snapshot that cannot be read out of the way, so the next save does not destroy it; returns its new name. */
  setAside(): Promise<string | undefined>
}

export type OpenSnapshotStore = (path: string) => SnapshotStore | Promise<SnapshotStore>

/** The file store beside this file: sources load the TypeScript, built files the JavaScript. */
function defaultStoreUrl(): string {
  const here = import.meta.url
  return new URL(here.endsWith('.ts') ? '../node/snapshot-file.ts' : './node/snapshot-file.js', here).href
}

/** @throws BeerError `BEER_ERR_LOGINS_SNAPSHOT` when the store module cannot be loaded. */
export async function openStore(module: string | undefined, path: string): Promise<SnapshotStore> {
  const spec = module ?? defaultStoreUrl()
  let open: unknown
  try {
    open = ((await import(spec)) as { openSnapshotStore?: unknown }).openSnapshotStore
  } catch (err) {
    throw new BeerError('BEER_ERR_LOGINS_SNAPSHOT', `logins: cannot load the snapshot store ${spec}: ${(err as Error).message}`, { store: spec })
  }
  if (typeof open !== 'function') {
    throw new BeerError('BEER_ERR_LOGINS_SNAPSHOT', `logins: ${spec} exports no openSnapshotStore(path) function`, { store: spec })
  }
  return (await (open as OpenSnapshotStore)(path)) as SnapshotStore
}
