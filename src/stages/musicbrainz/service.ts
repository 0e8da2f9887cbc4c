import type Bottleneck from 'bottleneck'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../../config.ts'
import type { UpstreamOptions } from '../../http/upstream.ts'
import type { Lake } from '../../lake/lake.ts'
import type { RawZone } from '../../lake/raw-zone.ts'
import type { StateStore } from '../../lake/state-store.ts'
import type { TableDef } from '../../lake/table.ts'
import { createHierarchyStep, type HierarchyStep } from './areas.ts'
import { createArtistsStep, type ArtistsStep } from './artists.ts'
import { createDiscoverStep, type DiscoverStep } from './discovery.ts'
import { createRawAnswers } from './raw-answers.ts'
import { createReplay, type ParseStep } from './replay.ts'
import { createMusicBrainzTransport } from './transport.ts'

export interface MusicBrainzSteps {
  /** 503 NOT_CONFIGURED naming MUSICBRAINZ_CONTACT when it is not set (every route of the stage checks it). */
  requireContact (): void
  discover: DiscoverStep
  artists: ArtistsStep
  parse: ParseStep
  hierarchy: HierarchyStep
}

/** The MusicBrainz stage: discovery, matching (granular), parsing from raw/ and the area hierarchy. */
export function createMusicBrainzSteps (deps: {
  config: Config['musicbrainz']
  lake: Lake
  raw: RawZone
  state: StateStore
  now: () => Date
  upstream: UpstreamOptions
  /** the process's one musicbrainz limiter (MUSICBRAINZ_RATE_PER_SEC for every route and request) */
  limiter: Bottleneck
  /** the ingest stage's plays table (tracks_played): who was played, with which ISRCs and titles */
  plays: TableDef
  /** Resolves once plays waiting for their artist ids (the Spotify stage's refill) have them: who was played. */
  settlePlays: () => Promise<void>
  log: FastifyBaseLogger
}): MusicBrainzSteps {
  const { lake, now, log } = deps
  const transport = createMusicBrainzTransport({ url: deps.config.url, contact: deps.config.contact, limiter: deps.limiter, upstream: deps.upstream })
  const answers = createRawAnswers({ raw: deps.raw, rawDir: lake.rawDir })
  const replay = createReplay({ lake, state: deps.state, answers, now, log })
  return {
    requireContact: transport.requireContact,
    discover: createDiscoverStep({ lake, plays: deps.plays, settlePlays: deps.settlePlays, now, requireContact: transport.requireContact }),
    artists: createArtistsStep({ lake, plays: deps.plays, settlePlays: deps.settlePlays, transport, answers, now, log, parseDetails: replay.parseDetails }),
    parse: replay.step,
    hierarchy: createHierarchyStep({ lake, transport, answers, now, log }),
  }
}
