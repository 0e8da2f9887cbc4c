import net from 'node:net'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'

export interface RawAnswer {
  status: number
  headers: Record<string, string>
  body: string
  /** the server ended the connection after answering */
  closed: boolean
}

/** Starts the app on an ephemeral 127.0.0.1 port (once) and answers it. */
export async function listenLocal (app: FastifyInstance): Promise<number> {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as AddressInfo).port
}

/** A socket to the app, for requests whose body stops short or never comes. */
export async function rawSocket (port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  return socket
}

/** Reads one HTTP/1.1 answer (Content-Length framed) from a socket, and whether the server then ends the connection. */
export function readAnswer (socket: net.Socket): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0)
    let answer: Omit<RawAnswer, 'closed'> | undefined
    const finish = (closed: boolean): void => {
      socket.off('data', onData)
      if (answer) resolve({ ...answer, closed })
      else reject(new Error(`the connection ended without a whole answer: ${JSON.stringify(data.toString('latin1').slice(0, 200))}`))
    }
    const onData = (chunk: Buffer): void => {
      data = Buffer.concat([data, chunk])
      const headEnd = data.indexOf('\r\n\r\n')
      if (headEnd === -1 || answer) return
      const [statusLine, ...lines] = data.subarray(0, headEnd).toString('latin1').split('\r\n')
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
      const length = Number(headers['content-length'] ?? 0)
      if (data.length < headEnd + 4 + length) return
      answer = { status: Number(statusLine!.split(' ')[1]), headers, body: data.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8') }
      // Keep-alive connections stay open: the answer is whole, so stop here unless the server says it will close.
      if (headers.connection !== 'close') finish(false)
    }
    socket.on('data', onData)
    socket.once('end', () => finish(true))
    socket.once('close', () => finish(true))
    socket.once('error', reject)
  })
}
