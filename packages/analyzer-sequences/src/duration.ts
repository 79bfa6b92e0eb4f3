import { BeerError } from '@beer/core'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * Reads a duration: a number of milliseconds, or text such as `'500ms'`, `'30s'`, `'10m'`, `'1h'`,
 * `'2d'`, or a sum of them (`'1h30m'`). `where` names the option or rule field for the message.
 */
export function parseDuration(value: unknown, where: string, code = 'BEER_ERR_SEQUENCES_OPTIONS'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value
  } else if (typeof value === 'string') {
    const text = value.trim()
    if (/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(text)) {
      let total = 0
      for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(m[1]) * UNITS[m[2]!]!
      return total
    }
  }
  throw new BeerError(code, `${where}: expected a duration such as '30s', '10m', '1h' or a number of milliseconds, got ${JSON.stringify(value)}`, {
    field: where,
  })
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
