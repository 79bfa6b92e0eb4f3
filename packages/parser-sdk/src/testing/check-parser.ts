import { BeerError } from '@beer/core'
import type { ModuleContext, ModuleDescriptor, Parser } from '@beer/core'
import type { SyslogMessage } from '@beer/syslog-header'
import process from 'node:process'
import { checkFixtureSet } from './check-fixtures.ts'
import { fixturesPath, readFixtures, writeFixture } from './fixture-files.ts'
import type { CheckReport } from './report.ts'

/** A parser package's `create` export (what `defineParser(...).create` is). */
export type CreateParser<O> = (
  options: O,
  context: ModuleContext,
) => Parser<SyslogMessage> | Promise<Parser<SyslogMessage>>

/**
 * The parser to check: its `create` with options, or the descriptor its factory returns
 * (`acmeFw({ timezone: 'UTC' })`), which also checks that the descriptor leads to `create`.
 */
export type ParserUnderTest<O> = { create: CreateParser<O>; options?: O } | { descriptor: ModuleDescriptor<'parser', O> }

export type CheckOptions<O = unknown> = ParserUnderTest<O> & {
  /** The fixtures folder: `new URL('../fixtures/', import.meta.url)`, or a path. */
  fixtures: string | URL
  /** Zone for header timestamps without one (RFC 3164). Default 'UTC'. */
  timezone?: string
  /** Write the `.json` files instead of comparing. Default: the environment has BEER_UPDATE_FIXTURES=1. */
  update?: boolean
}

/** True when the environment asks for fixtures to be rewritten (BEER_UPDATE_FIXTURES=1). */
export function updateRequested(): boolean {
  return process.env.BEER_UPDATE_FIXTURES === '1'
}

/**
 * Runs a parser over a fixtures folder and reports everything that breaks: lines it does not
 * claim or parses differently from the `.json` beside them, `not-mine/` lines it claims, and
 * broken contract rules (a throw, non-determinism, output that is not plain data), also on the
 * built-in hostile corpus. Framework-free: use it from any test runner, or `testParser` for
 * node:test. With `update`, writes the `.json` files (sorted keys, 2-space indent) instead of
 * comparing them.
 */
export async function checkParser<O>(options: CheckOptions<O>): Promise<CheckReport> {
  const dir = fixturesPath(options.fixtures)
  const parser = await buildParser(options)
  const update = options.update ?? updateRequested()
  const { report, rewrites } = checkFixtureSet(parser, readFixtures(dir), {
    ...(options.timezone !== undefined && { timezone: options.timezone }),
    update,
  })
  for (const { file, text } of rewrites) writeFixture(dir, file, text)
  return report
}

/** The parser's name: the descriptor's, or '' when only `create` was given. */
export function parserName<O>(options: ParserUnderTest<O>): string {
  return 'descriptor' in options ? options.descriptor.name : ''
}

/** The parser `create` (or the descriptor's export) builds, with a quiet test context. */
export async function buildParser<O>(options: ParserUnderTest<O>): Promise<Parser<SyslogMessage>> {
  let create: CreateParser<O>
  let parserOptions: O
  let name: string
  if ('descriptor' in options) {
    const d = options.descriptor
    const mod = (await import(d.module)) as Record<string, unknown>
    const exported = mod[d.export]
    if (typeof exported !== 'function') {
      throw new BeerError('BEER_ERR_MODULE_LOAD', `${d.name}: ${d.module} has no function export named '${d.export}'`, {
        module: d.name,
      })
    }
    create = exported as CreateParser<O>
    parserOptions = d.options
    name = d.name
  } else {
    create = options.create
    parserOptions = options.options ?? ({} as O)
    name = 'parser'
  }
  const parser = await create(parserOptions, testContext(name))
  if (parser === null || typeof parser !== 'object' || typeof parser.isMine !== 'function' || typeof parser.parse !== 'function') {
    throw new BeerError('BEER_ERR_MODULE_LOAD', `${name}: create() did not return a parser (an object with isMine() and parse())`, {
      module: name,
    })
  }
  return parser
}

function testContext(name: string): ModuleContext {
  const quiet = () => {}
  return {
    name,
    instance: 0,
    log: { info: quiet, warn: quiet, error: quiet },
    emit() {
      throw new BeerError('BEER_ERR_EMIT_NOT_ANALYZER', `${name}: a parser called context.emit(); only analyzers raise events`)
    },
  }
}
