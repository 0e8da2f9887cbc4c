import { column as c, defineTable, required, type RowOf } from '../../lake/table.ts'

export const playSources = ['spotify-api', 'spotify-export', 'listenbrainz'] as const
export type PlaySource = typeof playSources[number]

const spotifyId = { pattern: '^[0-9A-Za-z]{22}$' }

export const tracksPlayed = defineTable({
  name: 'tracks_played',
  description: 'One row per play, from every source, with one identity per play across sources.',
  key: ['play_id'],
  orderBy: [],
  columns: {
    play_id: required(c.varchar('stable id of the play: hash of source, user, start time and track', { maxLength: 64 })),
    user_id: required(c.varchar('TRACKLAKE_USER_ID at ingestion')),
    played_at: required(c.timestamp('UTC start of the play (export: ts minus ms_played)')),
    ended_at: c.timestamp('UTC end of the play when the source says (export ts)'),
    track_id: c.varchar('Spotify track id', spotifyId),
    track_uri: c.varchar('spotify:track:<id>'),
    track_isrc: c.varchar('ISRC of the recording'),
    track_name: c.varchar('track title'),
    album_id: c.varchar('Spotify album id', spotifyId),
    album_name: c.varchar('album title'),
    artist_id: c.varchar('Spotify id of the primary (first credited) artist', spotifyId),
    artist_name: c.varchar('name of the primary artist'),
    artist_ids: c.varcharList('Spotify ids of all credited artists, in credit order', spotifyId),
    artist_names: c.varcharList('names of all credited artists, in credit order'),
    duration_ms: c.integer('track length', { minimum: 0 }),
    ms_played: c.integer('how long it was played; null when the source does not say', { minimum: 0 }),
    counts_as_play: required(c.boolean('false for plays shorter than 30 s, which Spotify does not count as plays')),
    skipped: c.boolean('export: the user skipped to the next track'),
    reason_start: c.varchar('export: why the track started'),
    reason_end: c.varchar('export: why the track ended'),
    shuffle: c.boolean('export: shuffle was on'),
    offline: c.boolean('export: played offline'),
    incognito_mode: c.boolean('export: played in a private session'),
    platform: c.varchar('export: device platform'),
    conn_country: c.varchar('export: country of the connection'),
    context_type: c.varchar('poll: album, artist, playlist or show the play came from'),
    context_uri: c.varchar('poll: URI of that context'),
    recording_mbid: c.varchar('ListenBrainz: MusicBrainz recording id'),
    artist_mbids: c.varcharList('MusicBrainz artist ids: from ListenBrainz, or filled by Update MBIDs'),
    source: required(c.oneOf('spotify-api, spotify-export or listenbrainz: the source whose row was kept', [...playSources])),
    ingested_at: required(c.timestamp('when tracklake stored the play')),
  },
})

export type PlayRow = RowOf<typeof tracksPlayed>
