import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { controlRequest } from '@beer/control'
import type { CommandAnswer, ControlResponse } from '@beer/control'
import { renderStatus } from './format.ts'
import { top } from './top.ts'

/** Exit codes: documented in the README; scripts rely on them. */
export const EXIT = { ok: 0, moduleError: 1, usage: 2, unreachable: 3 } as const

const USAGE = `usage: beer [--socket <path>] [--json] [--timeout <ms>] <command>

commands:
  status [module]                 figures per module and listener (--json: the raw status)
  top                             live view, refreshed every second (q or Ctrl-C quits)
  replay <events.ndjson> [--config <file>] [--out <file>]
                                  run archived events through analyzers in event time
                                  and write the alerts (beer replay --help)
  rotate [module]                 rotate files (sinks that write files)
  flush [module]                  write out what modules hold
  reset [module]                  reset module state
  <module> <command> [json-args]  send one module a command, e.g. beer file rotate
  es replay <file> [...]          send an NDJSON or dead-letter file to Elasticsearch
                                  (needs @beer/sink-es; beer es --help)
  <module> lookup <address> [--at <time>]
                                  who held an address, now or at an ISO 8601 time
                                  (the identity map: beer identity lookup 192.0.2.10)

options:
  --socket <path>   the control socket (default: $BEER_CONTROL, else ./data/beer.sock)
  --json            print the raw JSON response
  --timeout <ms>    how long to wait for an answer (default 5000)
  --at <time>       with lookup: the time to ask about (default now)
  -h, --help        this text
  -v, --version     the version of this command
`

class UsageError extends Error {}

const BUILT_IN = new Set(['status', 'rotate', 'flush', 'reset'])

/** Runs the `beer` command with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  // `beer replay …` runs archived events through analyzers here, without a running beer.
  if (argv[0] === 'replay') return (await import('./replay.ts')).replay(argv.slice(1))
  // `beer es …` talks to Elasticsearch, not to the control socket: @beer/sink-es owns it.
  if (argv[0] === 'es') return elasticsearchCommand(argv.slice(1), env)
  let values: { socket?: string; json?: boolean; timeout?: string; at?: string; help?: boolean; version?: boolean }
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        socket: { type: 'string', short: 's' },
        json: { type: 'boolean' },
        timeout: { type: 'string' },
        at: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    }))
  } catch (err) {
    return usage((err as Error).message)
  }
  if (values.help) {
    process.stdout.write(USAGE)
    return EXIT.ok
  }
  if (values.version) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    process.stdout.write(`beer ${pkg.version}\n`)
    return EXIT.ok
  }
  const socket = path.resolve(values.socket ?? env.BEER_CONTROL ?? './data/beer.sock')
  const timeoutMs = values.timeout === undefined ? 5000 : Number(values.timeout)
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return usage(`--timeout: expected milliseconds, got '${values.timeout}'`)

  try {
    const [first, ...rest] = positionals
    if (first === undefined) throw new UsageError('give a command')
    if (first === 'top') {
      if (rest.length) throw new UsageError('top takes no arguments')
      return await top({ socket, timeoutMs })
    }
    let command: string
    let target: string | undefined
    let args: unknown
    let byAddress = false
    if (BUILT_IN.has(first)) {
      if (rest.length > 1) throw new UsageError(`${first} takes at most one module name`)
      command = first
      target = rest[0]
    } else {
      if (rest.length === 0) throw new UsageError(`'${first}' is not a command; to ask module '${first}', give a command: beer ${first} <command> [json-args]`)
      if (rest.length > 2) throw new UsageError('give the arguments as one JSON value, quoted for the shell')
      target = first
      command = rest[0]!
      if (command === 'lookup' && rest[1] !== undefined && !rest[1].trimStart().startsWith('{')) {
        // beer identity lookup 192.0.2.10 --at 2026-11-27T08:00:00Z
        byAddress = true
        args = values.at === undefined ? { ip: rest[1] } : { ip: rest[1], at: values.at }
      } else if (rest[1] !== undefined) args = jsonArgs(rest[1])
    }
    if (values.at !== undefined && !byAddress) {
      throw new UsageError('--at goes with lookup: beer <module> lookup <address> --at <time>')
    }
    const request = { command, ...(target !== undefined ? { target } : {}), ...(args !== undefined ? { args } : {}) }
    const response = await controlRequest(socket, request, timeoutMs)
    return print(response, command, values.json === true)
  } catch (err) {
    if (err instanceof UsageError) return usage(err.message)
    return failure(err, socket)
  }
}

/** Kept in a variable so the compiler does not require the optional package at build time. */
const SINK_ES_CLI: string = '@beer/sink-es/cli'

async function elasticsearchCommand(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let mod: { main(argv: string[], env?: Record<string, string | undefined>): Promise<number> }
  try {
    mod = (await import(SINK_ES_CLI)) as typeof mod
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err
    process.stderr.write("beer: 'beer es' comes with the Elasticsearch sink: npm install @beer/sink-es\n")
    return EXIT.usage
  }
  return mod.main(argv, env)
}

function jsonArgs(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new UsageError(`json-args: '${text}' is not JSON; quote strings for the shell, e.g. '"text"' or '{"key":1}'`)
  }
}

function print(response: ControlResponse, command: string, json: boolean): number {
  if (json) process.stdout.write(JSON.stringify(response, null, 2) + '\n')
  if (!response.ok) {
    if (!json) process.stderr.write(`beer: ${response.error.code}: ${response.error.message}\n`)
    // A module name that does not exist is the caller's mistake, like any other usage error.
    const usageCodes = ['BEER_ERR_COMMAND_UNKNOWN_MODULE', 'BEER_ERR_CONTROL_BAD_REQUEST']
    return usageCodes.includes(response.error.code) ? EXIT.usage : EXIT.moduleError
  }
  if ('status' in response) {
    if (!json) process.stdout.write(renderStatus(response.status))
    return EXIT.ok
  }
  const answers: CommandAnswer[] = response.answers
  if (!json) {
    if (answers.length === 0) process.stderr.write(`beer: no module answered '${command}'\n`)
    for (const a of answers) {
      if (a.error) process.stderr.write(`${a.module}: error ${a.error.code}: ${a.error.message}\n`)
      else if (command === 'status' || command === 'lookup') process.stdout.write(`${a.module}:\n${JSON.stringify(a.answer, null, 2)}\n`)
      else process.stdout.write(`${a.module}: ${typeof a.answer === 'string' ? a.answer : JSON.stringify(a.answer)}\n`)
    }
  }
  return answers.some((a) => a.error) ? EXIT.moduleError : EXIT.ok
}

function usage(message: string): number {
  process.stderr.write(`beer: ${message}\n\n${USAGE}`)
  return EXIT.usage
}

const CAUSES: Record<string, string> = {
  ENOENT: 'no socket there',
  ECONNREFUSED: 'nobody listens on it; a beer that stopped left it behind',
  EACCES: 'permission denied; run this as the user beer runs as',
  ENOTSOCK: 'that file is not a socket',
}

function failure(err: unknown, socket: string): number {
  const e = err as { code?: string; message?: string; details?: { cause?: string } }
  if (e.code === 'BEER_ERR_CONTROL_UNREACHABLE') {
    const cause = e.details?.cause
    process.stderr.write(
      `beer: cannot reach the control socket at ${socket} (${cause ? (CAUSES[cause] ?? cause) : e.message}).\n` +
        "Is beer running with a control socket? Open one in main.ts with syslog({ control: './data/beer.sock' }), " +
        'then point this command at it with --socket <path> or BEER_CONTROL=<path> (default ./data/beer.sock).\n',
    )
    return EXIT.unreachable
  }
  if (e.code === 'BEER_ERR_CONTROL_TIMEOUT' || e.code === 'BEER_ERR_CONTROL_CLOSED') {
    process.stderr.write(`beer: ${e.message}\n`)
    return EXIT.unreachable
  }
  process.stderr.write(`beer: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`)
  return EXIT.moduleError
}
