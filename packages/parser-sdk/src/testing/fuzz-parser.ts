import { describe, test } from 'node:test'
import { parserName } from './check-parser.ts'
import { formatFuzz, fuzzRunner } from './fuzz.ts'
import type { FuzzOptions } from './fuzz.ts'

/**
 * Registers node:test tests that fuzz a parser (see `checkFuzz`): seeded mutations and cuts of
 * the fixture lines and the package's adversarial lines never make isMine or parse throw nor put
 * a prototype key in an event, and parse time grows linearly with the adversarial lines.
 *
 * ```ts
 * fuzzParser({
 *   descriptor: acmeFw(),
 *   fixtures: new URL('../fixtures/', import.meta.url),
 *   adversarial: (size) => [HEAD + 'a='.repeat(size / 2)],
 * })
 * ```
 */
export function fuzzParser<O>(options: FuzzOptions<O> & { name?: string }): void {
  const run = fuzzRunner(options)
  const expect = async (part: Parameters<typeof run>[0][number]) => {
    const report = await run([part])
    const text = formatFuzz(report)
    if (text !== '') fail(text)
    return report
  }
  const [small, large] = (options.sizes ?? [16 * 1024, 64 * 1024]).map((n) => (n % 1024 === 0 ? `${n / 1024} KiB` : `${n} characters`))
  describe(`${options.name ?? (parserName(options) || 'parser')}: fuzzing`, () => {
    test('isMine and parse survive seeded mutations of every fixture line without a throw or a prototype key', async (t) => {
      const r = await expect('mutations')
      t.diagnostic(`${r.mutated} mutated lines, ${r.claimed} claimed and parsed`)
    })
    test('isMine and parse survive every cut of a few fixture lines', async () => {
      await expect('cuts')
    })
    if (options.adversarial === undefined) return
    test('isMine and parse survive the adversarial lines', async () => {
      await expect('adversarial')
    })
    test(`parses ${large} adversarial lines in about four times the time of ${small} ones (linear, not quadratic)`, async (t) => {
      const r = await expect('timing')
      const a = r.timings.reduce((s, x) => s + x.small, 0)
      const b = r.timings.reduce((s, x) => s + x.large, 0)
      t.diagnostic(`adversarial lines: ${small} ${a.toFixed(3)} ms, ${large} ${b.toFixed(3)} ms, ratio ${(b / a).toFixed(2)} (linear 4, quadratic 16)`)
      const worst = [...r.timings].sort((x, y) => y.ratio - x.ratio).slice(0, 5)
      t.diagnostic(`steepest: ${worst.map((x) => `${x.name} ${x.ratio.toFixed(1)}`).join(', ')}`)
    })
  })
}

/** Fails a test with the report's text alone: the kit's own stack frames would only hide it. */
function fail(text: string): never {
  const err = new Error(text)
  err.stack = `Error: ${text}`
  throw err
}
