// The new-parser scaffold, run against a temporary copy of the repository's template and root
// tsconfig.json (--root), so that nothing is generated in the repository itself.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { checkParser, formatReport } from '@beer/parser-sdk/testing'
import type { CreateParser } from '@beer/parser-sdk/testing'

const root = new URL('../../', import.meta.url).pathname
const script = join(root, 'scripts/new-parser.mjs')

function tempRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'beer-new-parser-'))
  mkdirSync(join(dir, 'packages'))
  cpSync(join(root, 'packages/parser-template'), join(dir, 'packages/parser-template'), {
    recursive: true,
    filter: (p) => !['node_modules', 'dist', '.turbo'].includes(basename(p)) && !p.endsWith('.tsbuildinfo'),
  })
  cpSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'))
  // The generated sources import @beer/parser-sdk: let them find the repository's.
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir')
  return dir
}

function scaffold(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [script, '--root', dir, ...args], { encoding: 'utf8' })
  return { status: r.status, out: r.stdout + r.stderr }
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? files(p).map((x) => `${f}/${x}`) : [f]
  })
}

test('scaffolds packages/parser-<vendor> from the template with its names and identifiers renamed', async () => {
  const dir = tempRepo()
  try {
    const { status, out } = scaffold(dir, 'demo-vendor')
    assert.equal(status, 0, out)
    assert.match(out, /Next steps/)
    const pkg = join(dir, 'packages/parser-demo-vendor')
    const list = files(pkg).sort()
    assert.deepEqual(
      list.filter((f) => !f.startsWith('fixtures/')),
      ['README.md', 'package.json', 'src/demo-vendor.ts', 'src/index.ts', 'test/demo-vendor.test.ts', 'tsconfig.json'],
    )
    assert.ok(list.includes('fixtures/traffic.log') && list.includes('fixtures/traffic.json'))
    assert.ok(list.some((f) => f.startsWith('fixtures/not-mine/') && f.endsWith('.log')))

    const json = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'))
    assert.equal(json.name, '@beer/parser-demo-vendor')
    assert.equal(json.private, undefined)
    assert.equal(json.version, '0.0.0')
    assert.equal(json.dependencies['@beer/parser-sdk'], '^0.1.0')
    for (const f of list) {
      const text = readFileSync(join(pkg, f), 'utf8')
      assert.doesNotMatch(text, /acme-fw|acme_fw|acmeFw|AcmeFw|parser-template|<!-- template/, f)
    }
    const source = readFileSync(join(pkg, 'src/demo-vendor.ts'), 'utf8')
    assert.match(source, /export const demoVendor: DefinedParser<DemoVendorOptions>\['factory'\]/)
    assert.match(source, /name: 'demo-vendor'/)
    assert.match(source, /'demo_vendor\.log'/)
    assert.match(readFileSync(join(pkg, 'src/index.ts'), 'utf8'), /export \{ demoVendor \} from '\.\/demo-vendor\.ts'/)
    assert.match(readFileSync(join(pkg, 'README.md'), 'utf8'), /^# @beer\/parser-demo-vendor\n\nReads /)

    const before = readFileSync(join(root, 'tsconfig.json'), 'utf8').split('\n')
    const after = readFileSync(join(dir, 'tsconfig.json'), 'utf8').split('\n')
    const added = after.filter((l) => !before.includes(l))
    assert.deepEqual(added, ['    { "path": "packages/parser-demo-vendor" },'])
    assert.equal(after.length, before.length + 1)
    assert.ok(JSON.parse(after.join('\n')).references.some((r: { path: string }) => r.path === 'packages/parser-demo-vendor'))

    assert.equal(
      readFileSync(join(dir, '.changeset/parser-demo-vendor.md'), 'utf8'),
      "---\n'@beer/parser-demo-vendor': minor\n---\n\nNew package `@beer/parser-demo-vendor`: `demoVendor()` reads demo-vendor syslog messages into ECS events.\n",
    )

    // The template's fixtures came along renamed: the new parser passes them as generated.
    const mod = (await import(pathToFileURL(join(pkg, 'src/demo-vendor.ts')).href)) as { create: CreateParser<object> }
    const report = await checkParser({ create: mod.create, fixtures: join(pkg, 'fixtures'), update: false })
    assert.equal(report.ok, true, formatReport(report))
  } finally {
    rmSync(dir, { recursive: true })
  }
})

test('refuses a folder that exists', () => {
  const dir = tempRepo()
  try {
    assert.equal(scaffold(dir, 'demo').status, 0)
    const again = scaffold(dir, 'demo')
    assert.equal(again.status, 1)
    assert.match(again.out, /already exists/)
    const template = scaffold(dir, 'template')
    assert.equal(template.status, 1)
  } finally {
    rmSync(dir, { recursive: true })
  }
})

test('refuses vendor names other than lowercase letters, digits and single hyphens', () => {
  const dir = tempRepo()
  try {
    for (const name of ['Demo', 'demo_vendor', '-demo', 'demo-', 'de--mo', '1demo', 'demo.vendor', 'demo vendor', '@beer/x']) {
      const r = scaffold(dir, name)
      assert.equal(r.status, 1, name)
      assert.match(r.out, /not a vendor name/, name)
    }
    assert.equal(scaffold(dir).status, 1)
    assert.deepEqual(readdirSync(join(dir, 'packages')), ['parser-template'])
    assert.ok(!existsSync(join(dir, '.changeset')))
  } finally {
    rmSync(dir, { recursive: true })
  }
})
