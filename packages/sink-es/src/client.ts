import { readFileSync } from 'node:fs'
import { Client, HttpConnection } from '@elastic/elasticsearch'
import { BeerError } from '@beer/core'
import type { ResolvedOptions } from './options.ts'

// The ESM entry of the client does not re-export the type.
type ClientOptions = ConstructorParameters<typeof Client>[0]

/**
 * The official client, with its own retries off: the sink retries per item and per request
 * itself, with backoff and the disk buffer, and must see every failure to count it.
 */
export function makeClient(o: Pick<ResolvedOptions, 'nodes' | 'auth' | 'tls' | 'requestTimeout' | 'compression' | 'name'>): Client {
  const options: ClientOptions = {
    nodes: o.nodes,
    maxRetries: 0,
    requestTimeout: o.requestTimeout,
    compression: o.compression,
    name: o.name,
    // The default ('replace') copies each error's metadata key by key to mask secrets, and a
    // Buffer body has one key per byte: a failed 5 MB bulk request cost seconds of CPU and
    // hundreds of MB of garbage. 'remove' drops the headers (credentials included) instead.
    redaction: { type: 'remove' },
  }
  // Bun's undici stand-in lacks what the client's default connection uses (tested with Bun 1.4):
  // node:http, which Bun implements, works there.
  if (typeof process !== 'undefined' && process.versions?.bun) options.Connection = HttpConnection
  if (o.auth) options.auth = o.auth
  if (o.tls) {
    const tls: NonNullable<ClientOptions['tls']> = {}
    if (o.tls.rejectUnauthorized !== undefined) tls.rejectUnauthorized = o.tls.rejectUnauthorized
    if (o.tls.ca !== undefined) tls.ca = readCa(o.tls.ca)
    options.tls = tls
  }
  return new Client(options)
}

function readCa(ca: string): string {
  if (ca.includes('-----BEGIN')) return ca
  try {
    return readFileSync(ca, 'utf8')
  } catch (err) {
    throw new BeerError('BEER_ERR_SINK_ES_OPTIONS', `elasticsearch sink: option tls.ca: cannot read ${ca}: ${(err as Error).message}; give PEM text or the path of a PEM file`, {
      option: 'tls.ca',
    })
  }
}

/** What went wrong with a request, from the sink's point of view. */
export type Failure =
  | { kind: 'connection'; message: string }
  | { kind: 'aborted'; message: string }
  | { kind: 'status'; status: number; type: string; message: string }

/** Sorts the client's errors (checked by name: they may come from another copy of the transport). */
export function classify(err: unknown): Failure {
  const e = err as { name?: string; message?: string; meta?: { statusCode?: number; body?: unknown } }
  const message = e?.message ?? String(err)
  if (e?.name === 'RequestAbortedError') return { kind: 'aborted', message }
  const status = e?.meta?.statusCode
  if (e?.name === 'ResponseError' && typeof status === 'number') {
    const body = e.meta?.body as { error?: { type?: string; reason?: string } | string } | undefined
    const error = typeof body?.error === 'object' ? body.error : undefined
    return { kind: 'status', status, type: error?.type ?? `http_${status}`, message: error?.reason ?? (typeof body?.error === 'string' ? body.error : message) }
  }
  // ConnectionError, TimeoutError, NoLivingConnectionsError, and a body that is not JSON (a proxy's error page).
  return { kind: 'connection', message }
}

/** The version of the node answering, from `GET /` or, where a distribution lacks that endpoint, the nodes info API. */
export async function esVersion(client: Client): Promise<string> {
  try {
    return (await client.info()).version.number
  } catch (err) {
    const f = classify(err)
    if (f.kind !== 'status' || (f.status !== 404 && f.status !== 405)) throw err
  }
  const res = await client.nodes.info({ node_id: '_local', filter_path: 'nodes.*.version' })
  const node = Object.values(res.nodes ?? {})[0] as { version?: string } | undefined
  return node?.version ?? 'unknown'
}
