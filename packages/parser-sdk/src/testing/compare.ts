/**
 * The golden-file format: JSON with keys sorted at every depth, two-space indent, a trailing
 * newline. Sorted keys make a fixture's diff show what changed, not how a parser ordered its
 * writes.
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n'
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key])
  return out
}

/** What a parse result looks like once written to a fixture: JSON data, `null` for no event. */
export function asJson(value: unknown): unknown {
  const text = JSON.stringify(value ?? null)
  return text === undefined ? null : JSON.parse(text)
}

/**
 * The path of the first place two JSON values differ (`source.port`, `related.ip[1]`, `[0].host`
 * for the first event of several), '' when the values differ as a whole, or undefined when equal.
 * Keys are visited in sorted order, so the path is the first difference in the fixture's text.
 */
export function firstDifference(expected: unknown, actual: unknown, path = ''): string | undefined {
  if (expected === actual) return undefined
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const n = Math.min(expected.length, actual.length)
    for (let i = 0; i < n; i++) {
      const d = firstDifference(expected[i], actual[i], `${path}[${i}]`)
      if (d !== undefined) return d
    }
    return expected.length === actual.length ? undefined : `${path}[${n}]`
  }
  if (isRecord(expected) && isRecord(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort()
    for (const key of keys) {
      const sub = path === '' ? key : `${path}.${key}`
      if (!Object.hasOwn(expected, key) || !Object.hasOwn(actual, key)) return sub
      const d = firstDifference(expected[key], actual[key], sub)
      if (d !== undefined) return d
    }
    return undefined
  }
  return path
}

/** The value at a path `firstDifference` returned, or undefined when it is absent. */
export function valueAt(value: unknown, path: string): unknown {
  if (path === '') return value
  let v = value
  for (const m of path.matchAll(/\[(\d+)\]|\.?([^.[]+)/g)) {
    if (v === null || typeof v !== 'object') return undefined
    const key = m[1] ?? m[2]!
    if (!Object.hasOwn(v, key)) return undefined
    v = (v as Record<string, unknown>)[key]
  }
  return v
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/**
 * A line diff of two texts (`-` expected, `+` actual), with `context` unchanged lines around each
 * change. Fixture entries are small, so a plain longest-common-subsequence table is fast enough.
 */
export function lineDiff(expected: string, actual: string, context = 2): string {
  const a = expected.replace(/\n$/, '').split('\n')
  const b = actual.replace(/\n$/, '').split('\n')
  const n = a.length
  const m = b.length
  const lcs: Uint32Array[] = []
  for (let i = 0; i <= n; i++) lcs.push(new Uint32Array(m + 1))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
    }
  }
  const ops: { mark: ' ' | '-' | '+'; text: string }[] = []
  let i = 0
  let j = 0
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ mark: ' ', text: a[i++]! })
      j++
    } else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ mark: '-', text: a[i++]! })
    } else {
      ops.push({ mark: '+', text: b[j++]! })
    }
  }
  const keep = ops.map(() => false)
  ops.forEach((op, k) => {
    if (op.mark === ' ') return
    for (let c = Math.max(0, k - context); c <= Math.min(ops.length - 1, k + context); c++) keep[c] = true
  })
  const out: string[] = []
  let skipped = false
  ops.forEach((op, k) => {
    if (!keep[k]) {
      skipped = true
      return
    }
    if (skipped && out.length > 0) out.push('  ...')
    skipped = false
    out.push(`${op.mark} ${op.text}`)
  })
  return out.join('\n')
}
