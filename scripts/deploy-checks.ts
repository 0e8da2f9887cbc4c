// What can be verified about Dockerfile, docker-compose.yml, .dockerignore and .env.example without a docker daemon:
// that they agree with package.json, tsconfig.build.json and the env schema in src/config.ts.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { parse } from 'yaml'
import { envNames, envSchema, secretEnvNames } from '../src/config.ts'

/** Set by the image (0.0.0.0, 8080, /data); compose must not override them. */
export const imageFixedEnvNames: readonly string[] = ['HOST', 'PORT', 'TRACKLAKE_DATA_DIR']

/** Upstream credentials: only the tracklake service may receive them (n8n gets TRACKLAKE_API_TOKEN). */
export const upstreamSecretEnvNames: readonly string[] = secretEnvNames.filter((name) => name !== 'TRACKLAKE_API_TOKEN')

const n8nImagePattern = /^(?:docker\.n8n\.io\/)?n8nio\/n8n(?::|@|$)/
const pinnedN8nImage = /^(?:docker\.n8n\.io\/)?n8nio\/n8n:2\.\d+\.\d+$/

interface EnvSpec {
  default?: unknown
  secret?: boolean
  description: string
}

export interface ComposeService {
  image?: string
  build?: unknown
  environment?: Record<string, unknown> | string[]
  ports?: unknown[]
  volumes?: unknown[]
  depends_on?: Record<string, { condition?: string }> | string[]
  entrypoint?: string | string[]
  command?: string | string[]
  [key: string]: unknown
}

export interface ComposeFile {
  services?: Record<string, ComposeService>
  [key: string]: unknown
}

/** Lists every problem found; an empty list means the deploy files are consistent. */
export function checkDeploy (root: string): string[] {
  const problems: string[] = []
  const packageJson = readJson(root, 'package.json', problems) as { scripts?: Record<string, string>, bin?: unknown } | undefined

  const composeText = readText(root, 'docker-compose.yml', problems)
  if (composeText !== undefined) problems.push(...checkCompose(parseCompose(composeText)))

  const dockerfile = readText(root, 'Dockerfile', problems)
  if (dockerfile !== undefined) problems.push(...checkDockerfile(root, dockerfile, packageJson))

  const dockerignore = readText(root, '.dockerignore', problems)
  if (dockerignore !== undefined) problems.push(...checkDockerignore(dockerignore))

  const envExample = readText(root, '.env.example', problems)
  if (envExample !== undefined) problems.push(...checkEnvExample(envExample))

  return problems
}

export function parseCompose (text: string): ComposeFile {
  return (parse(text, { merge: true }) ?? {}) as ComposeFile
}

/** A service's environment as a map; list entries without `=` (and null map values) pass the host value through. */
export function serviceEnvironment (service: ComposeService): Map<string, string | null> {
  const env = new Map<string, string | null>()
  const raw = service.environment
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const [name = '', ...rest] = String(entry).split('=')
      env.set(name, rest.length > 0 ? rest.join('=') : null)
    }
  } else if (raw && typeof raw === 'object') {
    for (const [name, value] of Object.entries(raw)) env.set(name, value === null || value === undefined ? null : String(value))
  }
  return env
}

/** The variable names compose interpolates in a string (`${VAR}`, `${VAR:-x}`, `$VAR`; `$$` is a literal `$`). */
export function interpolatedNames (text: string): string[] {
  const names: string[] = []
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$') continue
    if (text[i + 1] === '$') {
      i++
      continue
    }
    const match = /^\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i + 1))
    if (match?.[1]) names.push(match[1])
  }
  return names
}

function checkCompose (compose: ComposeFile): string[] {
  const problems: string[] = []
  const services = compose.services ?? {}
  const tracklake = services.tracklake
  if (!tracklake) return ['docker-compose.yml: no tracklake service']
  if (tracklake.build === undefined) problems.push('docker-compose.yml: the tracklake service must be built from the Dockerfile (build: .)')

  // Every interpolated variable must be one tracklake documents; anything else (a shell `$id` written without `$$`) is a typo.
  for (const [serviceName, service] of Object.entries(services)) {
    for (const name of new Set(strings(service).flatMap(interpolatedNames))) {
      if (!(envNames as string[]).includes(name)) problems.push(`docker-compose.yml: service ${serviceName} interpolates \${${name}}, which is not in envSchema (write $$ for a literal $)`)
    }
  }

  const env = serviceEnvironment(tracklake)
  for (const name of envNames) {
    if (imageFixedEnvNames.includes(name)) {
      if (env.has(name)) problems.push(`docker-compose.yml: tracklake sets ${name}, which the image fixes`)
      continue
    }
    if (!env.has(name)) {
      problems.push(`docker-compose.yml: tracklake does not pass ${name} through (add ${name}: \${${name}:-})`)
      continue
    }
    const value = env.get(name)
    if (value !== null && !interpolatedNames(value ?? '').includes(name)) problems.push(`docker-compose.yml: tracklake sets ${name} to ${JSON.stringify(value)} instead of passing \${${name}:-} through`)
  }
  for (const name of env.keys()) {
    if (!(envNames as string[]).includes(name)) problems.push(`docker-compose.yml: tracklake gets ${name}, which the service does not read`)
  }
  if (!strings(tracklake.volumes ?? []).some((volume) => /^[^:]+:\/data(?::|$)/.test(volume))) problems.push('docker-compose.yml: tracklake has no volume at /data')
  for (const port of tracklake.ports ?? []) {
    const hostIp = typeof port === 'object' && port !== null ? (port as { host_ip?: string }).host_ip : String(port).split(':').length === 3 ? String(port).split(':')[0] : undefined
    if (hostIp !== '127.0.0.1') problems.push(`docker-compose.yml: tracklake port ${JSON.stringify(port)} must be published on 127.0.0.1 only`)
  }

  const n8nServices = Object.entries(services).filter(([, service]) => n8nImagePattern.test(service.image ?? ''))
  if (n8nServices.length === 0) problems.push('docker-compose.yml: no n8n service')
  for (const [serviceName, service] of n8nServices) {
    if (!pinnedN8nImage.test(service.image ?? '')) problems.push(`docker-compose.yml: service ${serviceName} must pin an exact n8n 2.x image (n8nio/n8n:2.x.y), not ${service.image}`)
    const n8nEnv = serviceEnvironment(service)
    if (n8nEnv.get('TRACKLAKE_URL') !== 'http://tracklake:8080') problems.push(`docker-compose.yml: service ${serviceName} needs TRACKLAKE_URL: http://tracklake:8080`)
    if (n8nEnv.get('N8N_BLOCK_ENV_ACCESS_IN_NODE') !== 'false') problems.push(`docker-compose.yml: service ${serviceName} needs N8N_BLOCK_ENV_ACCESS_IN_NODE: 'false' so expressions can read $env`)
  }

  for (const [serviceName, service] of Object.entries(services)) {
    if (serviceName === 'tracklake') continue
    const given = [...serviceEnvironment(service).keys(), ...strings(service).flatMap(interpolatedNames)]
    for (const name of upstreamSecretEnvNames) {
      if (given.includes(name)) problems.push(`docker-compose.yml: service ${serviceName} receives ${name}; upstream credentials belong to tracklake only`)
    }
  }

  const importer = services['n8n-import']
  if (!importer) {
    problems.push('docker-compose.yml: no n8n-import service')
  } else {
    const script = strings([importer.entrypoint, importer.command]).join('\n')
    if (!script.includes('import:workflow --separate --input=/workflows')) problems.push('docker-compose.yml: n8n-import must run n8n import:workflow --separate --input=/workflows')
    if (!script.includes('publish:workflow')) problems.push('docker-compose.yml: n8n-import must publish the trigger and sub-workflows (n8n publish:workflow)')
    if (!strings(importer.volumes ?? []).some((volume) => /^\.\/n8n-workflows:\/workflows:ro$/.test(volume))) problems.push('docker-compose.yml: n8n-import must mount ./n8n-workflows:/workflows:ro')
    if (String(importer.restart) !== 'no') problems.push('docker-compose.yml: n8n-import is one-shot (restart: "no")')
  }
  const n8n = services.n8n
  if (n8n) {
    const dependsOn = (Array.isArray(n8n.depends_on) ? {} : n8n.depends_on ?? {}) as Record<string, { condition?: string }>
    if (dependsOn.tracklake?.condition !== 'service_healthy') problems.push('docker-compose.yml: n8n must depend on tracklake being healthy')
    if (dependsOn['n8n-import']?.condition !== 'service_completed_successfully') problems.push('docker-compose.yml: n8n must depend on n8n-import completing successfully')
  }
  return problems
}

interface Instruction {
  keyword: string
  args: string
}

interface Stage {
  name: string | undefined
  image: string
  instructions: Instruction[]
}

/** Splits a Dockerfile into stages of instructions (continuation lines joined, comments dropped). */
export function dockerfileStages (text: string): Stage[] {
  const instructions: Instruction[] = []
  let pending = ''
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*#/.test(line)) continue
    if (line.trimEnd().endsWith('\\')) {
      pending += line.trimEnd().slice(0, -1) + ' '
      continue
    }
    const full = (pending + line).trim()
    pending = ''
    if (full === '') continue
    const match = /^(\S+)\s*(.*)$/.exec(full)
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim() })
  }
  const stages: Stage[] = []
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'))
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] })
    } else {
      stages.at(-1)?.instructions.push(instruction)
    }
  }
  return stages
}

/** `ENV A=1 B="2"` and the legacy `ENV A 1` as a map. */
function envInstructionValues (args: string): Map<string, string> {
  const values = new Map<string, string>()
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const [name = '', ...rest] = args.split(/\s+/)
    values.set(name, rest.join(' '))
    return values
  }
  for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|'([^']*)'|\S*)/g)) {
    values.set(match[1]!, match[3] ?? match[4] ?? match[2]!)
  }
  return values
}

/** The source paths of a COPY (flags and destination dropped). */
function copySources (args: string): string[] {
  if (args.startsWith('[')) {
    try {
      return (JSON.parse(args) as string[]).slice(0, -1)
    } catch {
      return []
    }
  }
  return args.split(/\s+/).filter((word) => !word.startsWith('--')).slice(0, -1)
}

function checkDockerfile (root: string, text: string, packageJson: { scripts?: Record<string, string>, bin?: unknown } | undefined): string[] {
  const scripts = packageJson?.scripts ?? {}
  const problems: string[] = []
  const stages = dockerfileStages(text)
  if (stages.length < 2) return ['Dockerfile: expected a build stage and a runtime stage']
  const runtime = stages.at(-1)!
  const builders = stages.slice(0, -1)
  const runs = (stage: Stage): string[] => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args)

  for (const stage of stages) {
    if (!/^node:\d+(?:[.-]|$)/.test(stage.image)) problems.push(`Dockerfile: stage ${stage.name ?? stage.image} should start from an official node image, not ${stage.image}`)
  }

  // Build stage: npm ci with dev dependencies, then the package's own build script.
  if (scripts.build === undefined) problems.push('package.json: no build script')
  const build = builders.find((stage) => runs(stage).some((run) => /\bnpm run build\b/.test(run)))
  if (!build) {
    problems.push('Dockerfile: no build stage runs `npm run build`')
  } else {
    if (!runs(build).some((run) => /\bnpm ci\b/.test(run) && !/--omit[= ]dev|--production/.test(run))) problems.push('Dockerfile: the build stage must install dev dependencies with `npm ci`')
    const copied = build.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD').flatMap((i) => copySources(i.args))
    for (const needed of buildInputs(root, scripts.build ?? '')) {
      if (!copied.some((source) => source.replace(/^\.\//, '').replace(/\/$/, '') === needed)) problems.push(`Dockerfile: the build stage does not copy ${needed}, which \`npm run build\` needs`)
    }
    const fromBuild = runtime.instructions.filter((i) => i.keyword === 'COPY' && new RegExp(`--from=(${build.name ?? '\\d+'})\\b`).test(i.args))
    if (!fromBuild.some((i) => copySources(i.args).some((source) => /(^|\/)dist\/?$/.test(source)))) problems.push('Dockerfile: the runtime stage must copy dist/ from the build stage')
  }

  // Runtime stage: production dependencies installed in the image, never copied.
  if (!runs(runtime).some((run) => /\bnpm ci\b.*--omit[= ]dev/.test(run))) problems.push('Dockerfile: the runtime stage must run `npm ci --omit=dev`')
  const runtimeCopies = runtime.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD').flatMap((i) => copySources(i.args))
  if (runtimeCopies.some((source) => source.includes('node_modules'))) problems.push('Dockerfile: the runtime stage copies node_modules; install them with npm ci (the DuckDB binding is per platform)')
  if (!runtimeCopies.some((source) => /(^|\/)package(\*|\.json)/.test(source))) problems.push('Dockerfile: the runtime stage must copy package.json (the app reads its version from it)')

  // ENTRYPOINT + CMD must be what `npm start` runs, minus the prestart build: the tracklake command (so
  // `docker compose run tracklake <command>` works) with `serve` as the default command.
  const execForm = (keyword: 'CMD' | 'ENTRYPOINT'): string[] => {
    const instruction = runtime.instructions.filter((i) => i.keyword === keyword).at(-1)
    if (!instruction) return []
    try {
      return JSON.parse(instruction.args) as string[]
    } catch {
      problems.push(`Dockerfile: ${keyword} must use the exec form, e.g. ["node", "dist/cli.js"]`)
      return []
    }
  }
  const entrypoint = execForm('ENTRYPOINT')
  const command = [...entrypoint, ...execForm('CMD')]
  const start = scripts.start
  if (start === undefined) {
    problems.push('package.json: no start script')
  } else if (command.join(' ') !== start) {
    problems.push(`Dockerfile: ENTRYPOINT + CMD ${JSON.stringify(command)} does not match the start script ${JSON.stringify(start)}`)
  }
  const entry = command[0] === 'node' ? command.slice(1).find((word) => !word.startsWith('-')) : undefined
  const expected = buildOutputOf(root, 'src/cli.ts', problems)
  if (entry !== undefined && expected !== undefined && path.posix.normalize(entry) !== expected) problems.push(`Dockerfile: the container runs ${entry}, but tsconfig.build.json compiles src/cli.ts to ${expected}`)
  if (entrypoint.length > 0 && !entrypoint.some((word) => word === expected)) problems.push('Dockerfile: ENTRYPOINT must be the tracklake command (node … dist/cli.js), so `docker compose run tracklake <command>` works')
  const bin = (packageJson?.bin ?? {}) as Record<string, string>
  if (expected !== undefined && path.posix.normalize(bin.tracklake ?? '') !== expected) problems.push(`package.json: bin.tracklake must be ${expected}`)

  const env = new Map(runtime.instructions.filter((i) => i.keyword === 'ENV').flatMap((i) => [...envInstructionValues(i.args)]))
  if (env.get('HOST') !== '0.0.0.0') problems.push('Dockerfile: the runtime stage must set HOST=0.0.0.0')
  if (env.get('NODE_ENV') !== 'production') problems.push('Dockerfile: the runtime stage must set NODE_ENV=production')
  const port = env.get('PORT')
  if (port === undefined) problems.push('Dockerfile: the runtime stage must set PORT')
  const exposed = runtime.instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map((p) => p.split('/')[0]))
  if (port !== undefined && !exposed.includes(port)) problems.push(`Dockerfile: PORT=${port} is not exposed`)
  const dataDir = env.get('TRACKLAKE_DATA_DIR')
  const volumes = runtime.instructions.filter((i) => i.keyword === 'VOLUME').flatMap((i) => i.args.startsWith('[') ? JSON.parse(i.args) as string[] : i.args.split(/\s+/))
  if (dataDir === undefined || !volumes.includes(dataDir)) problems.push('Dockerfile: TRACKLAKE_DATA_DIR must be set and declared as a VOLUME')
  const user = runtime.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args
  if (user === undefined || user === 'root' || user === '0') problems.push('Dockerfile: the runtime stage must run as a non-root USER')
  const healthcheck = runtime.instructions.filter((i) => i.keyword === 'HEALTHCHECK').at(-1)?.args ?? ''
  if (!healthcheck.includes('/health') || !/\bnode\b/.test(healthcheck)) problems.push('Dockerfile: HEALTHCHECK must GET /health with node (slim images have no curl)')
  return problems
}

/** The files `tsc -p <config>` reads: the config, the configs it extends and the folders it includes. */
function buildInputs (root: string, buildScript: string): string[] {
  const project = /(?:-p|--project)\s+(\S+)/.exec(buildScript)?.[1]
  if (!project) return []
  const inputs = [path.posix.normalize(project)]
  let configFile: string | undefined = path.join(root, project)
  const seen = new Set<string>()
  while (configFile && !seen.has(configFile)) {
    seen.add(configFile)
    const { config } = ts.readConfigFile(configFile, ts.sys.readFile) as { config?: { extends?: string } }
    const parent: string | undefined = typeof config?.extends === 'string' && config.extends.startsWith('.') ? path.resolve(path.dirname(configFile), config.extends) : undefined
    if (parent) inputs.push(path.relative(root, parent).split(path.sep).join('/'))
    configFile = parent
  }
  const parsed = parseBuildConfig(root, project)
  if (parsed?.options.rootDir) inputs.push(path.relative(root, parsed.options.rootDir).split(path.sep).join('/'))
  return inputs
}

function parseBuildConfig (root: string, project: string): ts.ParsedCommandLine | undefined {
  const configFile = path.join(root, project)
  const read = ts.readConfigFile(configFile, ts.sys.readFile)
  if (read.error) return undefined
  return ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(configFile), undefined, configFile)
}

/** Where tsconfig.build.json puts the JavaScript for a source file, relative to root. */
export function buildOutputOf (root: string, source: string, problems: string[] = []): string | undefined {
  const parsed = parseBuildConfig(root, 'tsconfig.build.json')
  if (!parsed) {
    problems.push('tsconfig.build.json: cannot be read')
    return undefined
  }
  const input = path.join(root, source)
  if (!parsed.fileNames.some((file) => path.resolve(file) === input)) {
    problems.push(`tsconfig.build.json: does not compile ${source}`)
    return undefined
  }
  const output = ts.getOutputFileNames(parsed, input, !ts.sys.useCaseSensitiveFileNames).find((file) => file.endsWith('.js'))
  if (!output) {
    problems.push(`tsconfig.build.json: emits no JavaScript for ${source}`)
    return undefined
  }
  return path.relative(root, output).split(path.sep).join('/')
}

function checkDockerignore (text: string): string[] {
  const patterns = new Set(text.split(/\r?\n/).map((line) => line.trim().replace(/^\/|\/$/g, '')).filter((line) => line && !line.startsWith('#')))
  return ['node_modules', 'dist', 'data', '.env', '.git']
    .filter((needed) => !patterns.has(needed))
    .map((needed) => `.dockerignore: must exclude ${needed}`)
}

function checkEnvExample (text: string): string[] {
  const problems: string[] = []
  const lines = text.split(/\r?\n/)
  const seen = new Set<string>()
  lines.forEach((line, index) => {
    const match = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim())
    if (!match) return
    const [, commented, name = '', value = ''] = match
    if (!(envNames as string[]).includes(name)) {
      problems.push(`.env.example: ${name} is not read by the service`)
      return
    }
    if (seen.has(name)) problems.push(`.env.example: ${name} is listed twice`)
    seen.add(name)
    const spec = envSchema[name as keyof typeof envSchema] as EnvSpec
    const comment = lines[index - 1]?.trim()
    if (comment !== `# ${spec.description}`) problems.push(`.env.example: ${name} should follow the comment "# ${spec.description}"`)
    if (spec.secret && (commented || value !== '')) problems.push(`.env.example: secret ${name} must be listed empty (${name}=)`)
    if (spec.default !== undefined && (!commented || value !== String(spec.default))) problems.push(`.env.example: ${name} should show its default commented out (# ${name}=${String(spec.default)})`)
  })
  for (const name of envNames) {
    if (!seen.has(name)) problems.push(`.env.example: ${name} is missing`)
  }
  return problems
}

function strings (value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(strings)
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, inner]) => [key, ...strings(inner)])
  return []
}

function readText (root: string, file: string, problems: string[]): string | undefined {
  try {
    return readFileSync(path.join(root, file), 'utf8')
  } catch {
    problems.push(`${file}: missing`)
    return undefined
  }
}

function readJson (root: string, file: string, problems: string[]): unknown {
  const text = readText(root, file, problems)
  if (text === undefined) return undefined
  try {
    return JSON.parse(text)
  } catch {
    problems.push(`${file}: not valid JSON`)
    return undefined
  }
}
