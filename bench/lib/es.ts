// Shared by the Elasticsearch benchmarks: the node to measure against (started with
// scripts/elasticsearch.mjs when none runs) and realistic PAN-OS events made by the real parser.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseSyslog, type FrameOrigin } from '@beer/syslog-header'
import { create } from '@beer/parser-paloalto'
import type { LogEvent, Parser } from '@beer/core'

const root = fileURLToPath(new URL('../../', import.meta.url))
const script = `${root}scripts/elasticsearch.mjs`

export interface EsNode {
  url: string
  /** True when this benchmark started it (and stops it at the end). */
  started: boolean
  pid: number | undefined
  version: string
}

async function answers(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}/_nodes/_local?filter_path=nodes.*.version`, { signal: AbortSignal.timeout(5000) })
    if (!res.ok) return undefined
    const body = (await res.json()) as { nodes: Record<string, { version: string }> }
    return Object.values(body.nodes)[0]?.version
  } catch {
    return undefined
  }
}

function esPid(): number | undefined {
  try {
    let run = `${root}.cache/elasticsearch/run`
    try {
      run = readFileSync(`${root}.cache/elasticsearch/run-dir`, 'utf8').trim()
    } catch {}
    return Number(readFileSync(`${run}/es.pid`, 'utf8').trim()) || undefined
  } catch {
    return undefined
  }
}

/** BEER_ES_URL, the node the script started, or a new one from the script. */
export async function elasticsearchNode(): Promise<EsNode> {
  let url = process.env.BEER_ES_URL
  if (!url) {
    try {
      url = readFileSync(`${root}.cache/elasticsearch/url`, 'utf8').trim()
    } catch {}
  }
  if (url) {
    const version = await answers(url)
    if (version) return { url, started: false, pid: process.env.BEER_ES_URL ? undefined : esPid(), version }
  }
  console.log('starting Elasticsearch with scripts/elasticsearch.mjs')
  const r = spawnSync(process.execPath, [script, 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  const m = /BEER_ES_URL=(\S+)/.exec(r.stdout ?? '')
  if (r.status !== 0 || !m) throw new Error('could not start Elasticsearch with scripts/elasticsearch.mjs')
  return { url: m[1]!, started: true, pid: esPid(), version: (await answers(m[1]!)) ?? 'unknown' }
}

export function stopElasticsearch(node: EsNode): void {
  if (node.started) spawnSync(process.execPath, [script, 'stop'], { stdio: 'inherit' })
}

const origin: FrameOrigin = {
  receivedAt: Date.UTC(2026, 10, 27, 10),
  transport: 'udp',
  sourceAddress: '192.0.2.1',
  sourcePort: 514,
  listener: 'udp://0.0.0.0:514',
}

/** The PAN-OS TRAFFIC and THREAT fixture lines, parsed to ECS by @beer/parser-paloalto: about 2.3 KB of JSON each. */
export async function panosTemplates(): Promise<LogEvent[]> {
  const parser = (await create({}, { name: 'paloalto', instance: 0, log: { info() {}, warn() {}, error() {} }, emit() {} })) as Parser
  const out: LogEvent[] = []
  for (const f of ['traffic', 'threat']) {
    const text = readFileSync(`${root}packages/parser-paloalto/fixtures/${f}.log`, 'utf8')
    for (const line of text.split('\n').filter(Boolean)) {
      const ev = parser.parse(parseSyslog(line, origin) as never)
      if (ev && !Array.isArray(ev)) out.push(ev)
    }
  }
  return out
}

const BASE = Date.UTC(2026, 10, 27, 10)

/**
 * Event number `i`: a template with its own time, source port and sequence, so every event is
 * distinct (and gets its own id). The template object is changed in place and returned: callers
 * serialize it before asking for the next one, as the sink's write() and the raw loop both do.
 */
export function eventAt(templates: LogEvent[], i: number): LogEvent {
  const ev = templates[i % templates.length]!
  ev['@timestamp'] = new Date(BASE + i).toISOString()
  ;(ev.source as { port?: number }).port = 1024 + (i % 60000)
  ;(ev.event ??= {}).sequence = i
  return ev
}
