import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import { fileURLToPath } from 'node:url'

export interface Service {
  url: string
  process: ChildProcess
  /** Calls the running service as a user would (with the bearer token when one is set). */
  call<T = any> (method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number, body: T }>
  stop (): Promise<void>
}

export async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/** Starts the real service (`node src/server.ts`) as its own process and waits until /ready answers. */
export async function startService (env: Record<string, string>): Promise<Service> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const server = fileURLToPath(new URL('../../src/server.ts', import.meta.url))
  const child = spawn(process.execPath, [server], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} before it was ready`)
    const ready = await fetch(`${url}/ready`).then((r) => r.ok, () => false)
    if (ready) break
    if (Date.now() > deadline) throw new Error('the service was not ready within 60 s')
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const token = env.TRACKLAKE_API_TOKEN
  return {
    url,
    process: child,
    async call (method, path, body, contentType = 'application/json') {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': contentType } : {}) },
        body: body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
      })
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : undefined }
    },
    async stop () {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}
