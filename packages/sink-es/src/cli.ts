import { parseArgs } from 'node:util'
import type { Logger } from '@beer/core'
import { esVersion, makeClient } from './client.ts'
import { IndexNamer } from './document.ts'
import type { EsAuth } from './options.ts'
import { Progress } from './progress.ts'
import { replay, type ReplaySummary } from './replay.ts'
import { installTemplate } from './template.ts'

/** Exit codes, as `beer` uses them. */
export const EXIT = { ok: 0, rejected: 1, usage: 2, unreachable: 3 } as const

const USAGE = `usage: beer es <command> [options]

commands:
  replay <file>     send an NDJSON file of events, or a dead-letter file, to Elasticsearch;
                    documents already there are counted as duplicates, never stored twice
  template          install the ECS index template (idempotent)

options:
  --url <url>             Elasticsearch (repeatable; default $BEER_ES_URL, else http://localhost:9200)
  --index <pattern>       target index, date math on @timestamp (default: a dead letter's own index,
                          else beer-%{+yyyy.MM.dd})
  --data-stream <name>    write to this data stream instead
  --dead-letter <file>    where documents refused again go (default <file>.rejected.ndjson)
  --user <name>           basic auth; the password comes from $BEER_ES_PASSWORD
  --api-key <key>         API key (or $BEER_ES_API_KEY)
  --ca <file>             CA certificate (PEM) for https
  --id <how>              hash (default), canonical, event.id or none: as the sink was set
  --batch <n>             documents per bulk request (default 1000)
  --wait <seconds>        give up when Elasticsearch cannot be reached this long (default 60)
  --template-name <name>  template: its name (default beer-ecs)
  --json                  print the summary as JSON
  -h, --help              this text

exit codes: 0 every document is in Elasticsearch; 1 some were refused (see the dead-letter file)
or lines were not JSON; 2 usage; 3 Elasticsearch could not be reached.
`

function usage(message: string): number {
  process.stderr.write(`beer es: ${message}\n\n${USAGE}`)
  return EXIT.usage
}

/** `beer es …` (and the `beer-es` command): argv without the `es`. */
export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let values: Record<string, string | string[] | boolean | undefined>
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string', multiple: true },
        index: { type: 'string' },
        'data-stream': { type: 'string' },
        'dead-letter': { type: 'string' },
        user: { type: 'string' },
        'api-key': { type: 'string' },
        ca: { type: 'string' },
        id: { type: 'string' },
        batch: { type: 'string' },
        wait: { type: 'string' },
        'template-name': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (err) {
    return usage((err as Error).message)
  }
  if (values.help || positionals.length === 0) {
    process.stdout.write(USAGE)
    return positionals.length === 0 && !values.help ? EXIT.usage : EXIT.ok
  }
  const urls = (values.url as string[] | undefined) ?? [env.BEER_ES_URL ?? 'http://localhost:9200']
  let auth: EsAuth | undefined
  const apiKey = (values['api-key'] as string | undefined) ?? env.BEER_ES_API_KEY
  if (values.user !== undefined) auth = { username: values.user as string, password: env.BEER_ES_PASSWORD ?? '' }
  else if (apiKey) auth = { apiKey }
  const tls = values.ca !== undefined ? { ca: values.ca as string } : undefined
  const [command, ...rest] = positionals
  try {
    if (command === 'replay') {
      if (rest.length !== 1) return usage('replay takes one file')
      const id = (values.id as string | undefined) ?? 'hash'
      if (id !== 'hash' && id !== 'canonical' && id !== 'event.id' && id !== 'none') return usage(`--id: expected hash, canonical, event.id or none, got '${id}'`)
      const batch = values.batch === undefined ? undefined : Number(values.batch)
      if (batch !== undefined && (!Number.isInteger(batch) || batch < 1)) return usage(`--batch: expected a whole number, got '${values.batch}'`)
      const wait = values.wait === undefined ? 60 : Number(values.wait)
      if (!Number.isFinite(wait) || wait < 0) return usage(`--wait: expected seconds, got '${values.wait}'`)
      return await runReplay(rest[0]!, {
        node: urls,
        index: values.index as string | undefined,
        dataStream: values['data-stream'] as string | undefined,
        deadLetter: values['dead-letter'] as string | undefined,
        auth,
        tls,
        documentId: id,
        batch,
        waitMs: wait * 1000,
        json: values.json === true,
      })
    }
    if (command === 'template') {
      if (rest.length !== 0) return usage('template takes no arguments')
      return await runTemplate(urls, auth, tls, (values['template-name'] as string | undefined) ?? 'beer-ecs', values.index as string | undefined, values['data-stream'] as string | undefined, values.json === true)
    }
    return usage(`unknown command '${command}'`)
  } catch (err) {
    const e = err as { code?: string; message?: string }
    process.stderr.write(`beer es: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`)
    if (e.code === 'BEER_ERR_SINK_ES_OPTIONS' || e.code === 'BEER_ERR_SINK_ES_AUTH') return EXIT.usage
    return e.code === 'BEER_ERR_SINK_ES_UNREACHABLE' ? EXIT.unreachable : EXIT.rejected
  }
}

interface RunReplay {
  node: string[]
  index: string | undefined
  dataStream: string | undefined
  deadLetter: string | undefined
  auth: EsAuth | undefined
  tls: { ca: string } | undefined
  documentId: 'hash' | 'canonical' | 'event.id' | 'none'
  batch: number | undefined
  waitMs: number
  json: boolean
}

async function runReplay(file: string, r: RunReplay): Promise<number> {
  const progress = new Progress(process.stderr)
  const log: Logger = {
    info: () => {},
    warn: (m) => {
      progress.clear()
      process.stderr.write(`beer es: ${m}\n`)
    },
    error: (m) => {
      progress.clear()
      process.stderr.write(`beer es: ${m}\n`)
    },
  }
  let summary: ReplaySummary
  try {
    summary = await replay({
      file,
      node: r.node,
      ...(r.index !== undefined ? { index: r.index } : {}),
      ...(r.dataStream !== undefined ? { dataStream: r.dataStream } : {}),
      ...(r.deadLetter !== undefined ? { deadLetter: r.deadLetter } : {}),
      ...(r.auth !== undefined ? { auth: r.auth } : {}),
      ...(r.tls !== undefined ? { tls: r.tls } : {}),
      ...(r.batch !== undefined ? { batch: r.batch } : {}),
      documentId: r.documentId,
      waitMs: r.waitMs,
      log,
      onProgress: (f) => progress.update(f),
    })
  } finally {
    progress.clear()
  }
  if (r.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
  else {
    const n = (x: number): string => x.toLocaleString('en-US')
    const lines = [
      `replayed ${summary.file}: ${n(summary.lines)} lines in ${summary.seconds.toFixed(1)} s`,
      `  indexed ${n(summary.indexed)}, already there (duplicates) ${n(summary.duplicates)}, refused ${n(summary.deadLettered)}${summary.deadLettered ? ` → ${summary.deadLetterFile}` : ''}`,
    ]
    if (summary.invalid) lines.push(`  ${n(summary.invalid)} lines are not JSON objects (first: line ${summary.invalidLines.join(', ')})`)
    if (summary.skipped) lines.push(`  ${n(summary.skipped)} dead letters hold a raw input, not an event: not sent`)
    process.stdout.write(lines.join('\n') + '\n')
  }
  return summary.deadLettered > 0 || summary.invalid > 0 ? EXIT.rejected : EXIT.ok
}

async function runTemplate(
  node: string[],
  auth: EsAuth | undefined,
  tls: { ca: string } | undefined,
  name: string,
  index: string | undefined,
  dataStream: string | undefined,
  json: boolean,
): Promise<number> {
  const client = makeClient({ nodes: node, auth, tls, requestTimeout: 30_000, compression: false, name: 'beer-es' })
  try {
    try {
      await esVersion(client)
    } catch (err) {
      const e = err as { name?: string; message?: string }
      if (e.name === 'ConnectionError' || e.name === 'TimeoutError' || e.name === 'NoLivingConnectionsError') {
        process.stderr.write(`beer es: BEER_ERR_SINK_ES_UNREACHABLE: cannot reach Elasticsearch at ${node.join(', ')} (${e.message})\n`)
        return EXIT.unreachable
      }
    }
    const patterns = dataStream ? [dataStream] : [new IndexNamer(index ?? 'beer-%{+yyyy.MM.dd}').wildcard()]
    const result = await installTemplate(client, { name, patterns, priority: 200, settings: {}, dataStream: dataStream !== undefined })
    if (json) process.stdout.write(JSON.stringify({ template: result, name, patterns }) + '\n')
    else process.stdout.write(`index template ${name} for ${patterns.join(', ')}: ${result}\n`)
    return EXIT.ok
  } finally {
    await client.close()
  }
}
