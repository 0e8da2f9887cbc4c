// Child process for the crash test: starts one large write and never finishes it (the parent SIGKILLs it).
import pino from 'pino'
import { createLake } from '../../src/lake/lake.ts'
import { catalog } from '../../src/catalog.ts'
import { spotifyArtists } from '../../src/stages/spotify/tables.ts'

const dataDir = process.argv[2]!
const lake = await createLake({ dataDir, log: pino({ level: 'silent' }), tables: catalog })
process.stdout.write('ready\n')
await lake.write([spotifyArtists], async (tx) => {
  await tx.replaceWith(spotifyArtists, `
    SELECT md5(i::VARCHAR) AS artist_id, 'artist ' || i AS artist_name, ['a', 'b', md5(i::VARCHAR)] AS genres,
           (i % 100)::INTEGER AS popularity, i::BIGINT AS followers, 'https://img/' || md5((i * 7)::VARCHAR) AS image_url, NULL AS artist_mbid,
           now() AS fetched_at
    FROM range(30000000) t(i)`)
})
process.stdout.write('finished\n')
