// Scaffolds a parser package from packages/parser-template:
//   npm run new:parser -- <vendor> [--root <repo>]
// copies the template to packages/parser-<vendor> with its names and identifiers renamed, adds the
// package to the root tsconfig.json references and writes a changeset. The template's fixtures
// come along renamed, so the new package builds and passes its tests before any line is changed.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { basename, join, relative, resolve } from 'node:path'

const TEMPLATE = 'parser-template'
const TEMPLATE_VENDOR = 'acme-fw'
// Build output and caches are not part of the template.
const SKIP = new Set(['node_modules', 'dist', '.turbo'])

function usage(message) {
  if (message) console.error(`new-parser: ${message}`)
  console.error('usage: npm run new:parser -- <vendor> [--root <repo>]')
  console.error('  <vendor>: lowercase letters, digits and single hyphens, starting with a letter (paloalto, cisco-asa)')
  process.exit(message ? 1 : 0)
}

const args = process.argv.slice(2)
let root = resolve(new URL('..', import.meta.url).pathname)
const names = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--root') {
    if (args[i + 1] === undefined) usage('--root needs a directory')
    root = resolve(args[++i])
  } else if (args[i] === '--help' || args[i] === '-h') usage()
  else names.push(args[i])
}
if (names.length !== 1) usage(names.length === 0 ? 'name the vendor' : `one vendor at a time, got ${names.join(' ')}`)
const vendor = names[0]
if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(vendor)) {
  usage(`'${vendor}' is not a vendor name: use lowercase letters, digits and single hyphens, starting with a letter`)
}
if (vendor === 'sdk' || vendor === 'template') usage(`'${vendor}' is reserved`)

const words = vendor.split('-')
const camel = words[0] + words.slice(1).map((w) => w[0].toUpperCase() + w.slice(1)).join('')
const pascal = camel[0].toUpperCase() + camel.slice(1)
const snake = words.join('_')
const pkgName = `@beer/parser-${vendor}`

const source = join(root, 'packages', TEMPLATE)
const target = join(root, 'packages', `parser-${vendor}`)
if (!existsSync(join(source, 'package.json'))) usage(`no template at ${source}`)
if (existsSync(target)) usage(`${relative(process.cwd(), target) || target} already exists; pick another vendor name or remove it first`)

// Longest names first, so that '@beer/parser-template' is not half-replaced by a shorter rule.
const replacements = [
  [`@beer/${TEMPLATE}`, pkgName],
  [TEMPLATE, `parser-${vendor}`],
  [TEMPLATE_VENDOR, vendor],
  ['acme_fw', snake],
  ['AcmeFw', pascal],
  ['acmeFw', camel],
]
const rename = (text) => replacements.reduce((t, [from, to]) => t.split(from).join(to), text)

cpSync(source, target, {
  recursive: true,
  filter: (p) => !SKIP.has(basename(p)) && !p.endsWith('.tsbuildinfo'),
})

for (const file of walk(target)) {
  let text = readFileSync(file, 'utf8')
  if (basename(file) === 'README.md') text = text.replace(/<!-- template -->[\s\S]*?<!-- \/template -->\n+/, '')
  text = rename(text)
  if (basename(file) === 'package.json' && file === join(target, 'package.json')) {
    const json = JSON.parse(text)
    delete json.private
    json.description = `A beer parser for ${vendor} syslog messages, to ECS events.`
    text = JSON.stringify(json, null, 2) + '\n'
  }
  writeFileSync(file, text)
  const renamed = join(file, '..', rename(basename(file)))
  if (renamed !== file) renameSync(file, renamed)
}

addReference(join(root, 'tsconfig.json'), `packages/parser-${vendor}`)

mkdirSync(join(root, '.changeset'), { recursive: true })
writeFileSync(
  join(root, '.changeset', `parser-${vendor}.md`),
  `---\n'${pkgName}': minor\n---\n\nNew package \`${pkgName}\`: \`${camel}()\` reads ${vendor} syslog messages into ECS events.\n`,
)

const rel = relative(root, target)
console.log(`Created ${rel} (${pkgName}, factory ${camel}()), added it to tsconfig.json and wrote .changeset/parser-${vendor}.md.

Next steps:
  1. npm install                                   link the new workspace package
  2. npx tsc -b && node scripts/run-tests.mjs parser-${vendor}
                                                   it passes as copied: the template's fixtures came along renamed
  3. Put lines captured from the device in ${rel}/fixtures/*.log (documentation IPs, invented names)
     and lines it must refuse in ${rel}/fixtures/not-mine/; delete the template's.
  4. Write isMine and parse in ${rel}/src/${vendor}.ts: prefilter, observer.vendor/product, fields.
  5. BEER_UPDATE_FIXTURES=1 node scripts/run-tests.mjs parser-${vendor}, then review every .json diff.
  6. Write README.md, the description in package.json and .changeset/parser-${vendor}.md for users.

The whole walk: docs/writing-a-parser.md`)

function* walk(dir) {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry)
    if (statSync(p).isDirectory()) yield* walk(p)
    else yield p
  }
}

/**
 * Adds a project reference to the root tsconfig.json, as one more line in the style of the
 * parser lines already there, so the file keeps its formatting; falls back to rewriting the JSON.
 */
function addReference(file, path) {
  const text = readFileSync(file, 'utf8')
  const lines = text.split('\n')
  const refLine = (l) => /^\s*\{\s*"path":\s*"packages\/[^"]+"\s*\},?\s*$/.test(l)
  let at = lines.findLastIndex((l) => refLine(l) && l.includes('"packages/parser-'))
  if (at === -1) at = lines.findLastIndex(refLine)
  if (at !== -1) {
    const line = lines[at]
    const added = line.replace(/"packages\/[^"]+"/, JSON.stringify(path))
    if (!line.trimEnd().endsWith(',')) lines[at] = line.trimEnd() + ','
    lines.splice(at + 1, 0, added)
    writeFileSync(file, lines.join('\n'))
    return
  }
  const json = JSON.parse(text)
  json.references = [...(json.references ?? []), { path }]
  writeFileSync(file, JSON.stringify(json, null, 2) + '\n')
}
