import { relative } from 'node:path'
import process from 'node:process'
import { describe, test } from 'node:test'
import { checkParser, parserName, updateRequested } from './check-parser.ts'
import type { CheckOptions } from './check-parser.ts'
import { fixturesPath, listFixtures } from './fixture-files.ts'
import { formatReport } from './report.ts'
import type { CheckReport, ReportFilter } from './report.ts'

/**
 * Registers node:test tests for a parser: one per fixture file (every line claimed and parsed as
 * its `.json` says), one per `not-mine/` file, and one per contract rule. The check runs once;
 * each test fails with the lines that broke its rule and, for a mismatch, a diff of the first
 * differing line.
 *
 * ```ts
 * testParser({ descriptor: acmeFw(), fixtures: new URL('../fixtures/', import.meta.url) })
 * ```
 */
export function testParser<O>(options: CheckOptions<O> & { name?: string }): void {
  const dir = fixturesPath(options.fixtures)
  const { files, notMine } = listFixtures(dir)
  const update = options.update ?? updateRequested()
  let pending: Promise<CheckReport> | undefined
  const report = () => (pending ??= checkParser({ ...options, update }))
  const expect = async (filter: ReportFilter) => {
    const text = formatReport(await report(), filter)
    if (text !== '') fail(text)
  }
  const name = options.name ?? (parserName(options) || 'parser')

  describe(`${name}: golden files in ${relative(process.cwd(), dir) || '.'}`, () => {
    if (files.length === 0) {
      test('has fixture .log files', () => expect({ file: '.' }))
    }
    for (const file of files) {
      const json = file.replace(/\.log$/, '.json')
      test(update ? `rewrites ${json} from ${file}` : `claims every line of ${file} and parses it as ${json} says`, async (t) => {
        await expect({ file, sections: ['problems', 'unclaimed', 'mismatches', 'contract'], contract: ['is-mine', 'parse-threw'] })
        await expect({ file: json, sections: ['problems'] })
        if (update) t.diagnostic(`wrote ${json}: review its diff before committing`)
      })
    }
    for (const file of notMine) {
      test(`refuses every line of ${file}`, () =>
        expect({ file, sections: ['claimedNotMine', 'contract'], contract: ['is-mine'] }))
    }
    test('parses a line the same way every time', () => expect({ sections: ['contract'], contract: ['deterministic'] }))
    test('returns plain data that structuredClone and JSON carry unchanged', () =>
      expect({ sections: ['contract'], contract: ['plain-data'] }))
    test('answers isMine with true or false, never a throw, and parses what it claims without throwing, on hostile input', () =>
      expect({ sections: ['contract'], contract: ['is-mine', 'parse-threw'], hostile: true }))
    test('every .json has a .log beside it', async () => {
      const r = await report()
      const orphans = r.problems.filter((p) => !files.some((f) => f.replace(/\.log$/, '.json') === p.file) && p.file !== '.')
      if (orphans.length > 0) fail(orphans.map((p) => `${p.file}: ${p.message}`).join('\n'))
    })
  })
}

/** Fails a test with the report's text alone: the kit's own stack frames would only hide it. */
function fail(text: string): never {
  const err = new Error(text)
  err.stack = `Error: ${text}`
  throw err
}
