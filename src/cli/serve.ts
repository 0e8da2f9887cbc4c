import closeWithGrace from 'close-with-grace'
import { buildApp } from '../app.ts'
import { ConfigError, loadConfig, type Config } from '../config.ts'
import { acquireLake, LakeBusy } from './lake-owner.ts'

/** The service: owns the lake, listens, and closes gracefully on a signal (what `tracklake serve` and `npm start` run). */
export async function serve (config: Config): Promise<void> {
  const lock = await acquireLake(config.dataDir, 'serve')
  let app
  try {
    app = await buildApp(config)
  } catch (err) {
    await lock.release()
    throw err
  }
  const service = app
  closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
    if (err) service.log.error({ err }, 'closing after an error')
    else service.log.info({ signal }, 'closing')
    await service.close()
    await lock.release()
  })
  try {
    await service.listen({ port: config.port, host: config.host })
  } catch (err) {
    service.log.error({ err }, 'could not start')
    await service.close().catch(() => {})
    await lock.release()
    process.exit(1)
  }
  const address = service.server.address()
  await lock.listening(config.host, typeof address === 'object' && address ? address.port : config.port)
  service.log.info({ lake: config.dataDir, docs: `http://${config.host}:${config.port}/docs` }, 'tracklake is ready')
}

/** src/server.ts: the environment read once, a bad value stops the process with a message naming it. */
export async function serveFromEnvironment (): Promise<void> {
  try {
    // A zone DuckDB does not know is found once the lake's engine is up, inside serve: a ConfigError all the same.
    await serve(loadConfig())
  } catch (err) {
    if (!(err instanceof LakeBusy) && !(err instanceof ConfigError)) throw err
    console.error(err.message)
    process.exit(1)
  }
}
