import { dailyChain } from '../../src/daily/steps.ts'
import { executeWorkflow, ifNode, loopOverItems, manualTrigger, scheduleTrigger, setFields, splitOut, subWorkflowTrigger, tracklakeRequest, waitFor, workflow, type Workflow } from './nodes.ts'

/**
 * A granular step as an n8n workflow: plan → (any work?) → Split Out → one batch at a time: fetch → write → stop
 * after a rate-limited batch. Every path ends in the plan's summary, so an empty plan flows through to the end.
 */
export function granularWorkflow (options: { id: string, name: string, path: string, what: string }): Workflow {
  const { id, name, path } = options
  return workflow(id, name, [
    subWorkflowTrigger([0, 0]),
    manualTrigger([0, 200]),
    tracklakeRequest('Plan', [240, 100], { method: 'POST', path: `${path}/plan`, body: '={{ JSON.stringify({}) }}' }),
    ifNode('Any Work?', [480, 100], { left: '={{ $json.total }}', operator: { type: 'number', operation: 'gt' }, right: 0 }),
    splitOut('One Item per Batch', [720, 0], 'batches'),
    loopOverItems('Each Batch', [960, 0]),
    tracklakeRequest('Fetch Batch', [1200, 100], {
      method: 'POST',
      path: `${path}/fetch`,
      body: '={{ JSON.stringify({ planId: $json.planId, offset: $json.offset, limit: $json.limit }) }}',
      // Short Retry-After waits happen inside the service: allow for a few of them.
      timeoutMs: 600_000,
      onError: 'continueErrorOutput',
    }),
    tracklakeRequest('Write Batch', [1440, 0], {
      method: 'POST',
      path: `${path}/write`,
      body: '={{ JSON.stringify({ records: $json.records, failures: $json.failures, planId: $json.planId, offset: $json.offset }) }}',
    }),
    ifNode('Rate Limited?', [1680, 0], { left: "={{ $('Fetch Batch').item.json.status }}", operator: { type: 'string', operation: 'equals' }, right: 'rate_limited' }),
    // The loop's done output carries one item per batch: the summary is asked for once.
    tracklakeRequest('Summary', [1920, 200], { method: 'GET', path: "/v1/plans/{{ $('Plan').first().json.planId }}", executeOnce: true }),
  ], [
    ['When Executed by Another Workflow', 0, 'Plan'],
    ['Run Manually', 0, 'Plan'],
    ['Plan', 0, 'Any Work?'],
    ['Any Work?', 0, 'One Item per Batch'],
    ['Any Work?', 1, 'Summary'],
    ['One Item per Batch', 0, 'Each Batch'],
    ['Each Batch', 0, 'Summary'],
    ['Each Batch', 1, 'Fetch Batch'],
    ['Fetch Batch', 0, 'Write Batch'],
    // A failed batch is marked failed in the plan; the loop goes on with the next one.
    ['Fetch Batch', 1, 'Each Batch'],
    ['Write Batch', 0, 'Rate Limited?'],
    // The upstream asked us to wait: the remaining batches are not sent; the next run plans them again.
    ['Rate Limited?', 0, 'Summary'],
    ['Rate Limited?', 1, 'Each Batch'],
  ], `${options.what}, in resumable batches: plan, then fetch and write one batch at a time. Ends with the plan's progress.`)
}

export function trackIngestionWorkflow (): Workflow {
  const poll = (name: string, path: string, y: number) =>
    tracklakeRequest(name, [360, y], { method: 'POST', path, body: '={{ JSON.stringify({}) }}', timeoutMs: 600_000, onError: 'continueRegularOutput' })
  return workflow('tlTrackIngestion', 'Track Ingestion', [
    scheduleTrigger('Every 30 Minutes', [0, 0], { field: 'minutes', minutesInterval: 30 }),
    manualTrigger([0, 200]),
    // A source that is not configured (503) or failing answers an error item; the other source still runs.
    poll('Poll Spotify Recently Played', '/v1/ingest/recently-played', 0),
    poll('Poll ListenBrainz', '/v1/ingest/listenbrainz', 200),
  ], [
    ['Every 30 Minutes', 0, 'Poll Spotify Recently Played'],
    ['Every 30 Minutes', 0, 'Poll ListenBrainz'],
    ['Run Manually', 0, 'Poll Spotify Recently Played'],
    ['Run Manually', 0, 'Poll ListenBrainz'],
  ], 'Every 30 minutes: new plays from Spotify recently-played and from ListenBrainz into tracks_played.')
}

/** One call of a step that answers at once (MBZ Artist Discovery, Update MBIDs, Warehouse Build, Raw Retention). */
export function singleCallWorkflow (options: { id: string, name: string, node: string, path: string, body: string, what: string, timeoutMs?: number }): Workflow {
  return workflow(options.id, options.name, [
    subWorkflowTrigger([0, 0]),
    manualTrigger([0, 200]),
    tracklakeRequest(options.node, [240, 100], { method: 'POST', path: options.path, body: options.body, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) }),
  ], [
    ['When Executed by Another Workflow', 0, options.node],
    ['Run Manually', 0, options.node],
  ], options.what)
}

/**
 * A time-boxed step called until it answers `done` (the IF node's false output loops back to the call), at most
 * `maxCalls` times; a rate-limited answer ends the run too (the next run goes on). Ends with the last answer.
 */
export function untilDoneWorkflow (options: { id: string, name: string, node: string, path: string, body: string, maxCalls: number, what: string }): Workflow {
  const { node } = options
  return workflow(options.id, options.name, [
    subWorkflowTrigger([0, 0]),
    manualTrigger([0, 200]),
    tracklakeRequest(node, [240, 100], { method: 'POST', path: options.path, body: options.body, timeoutMs: 600_000 }),
    ifNode('Done?', [480, 100], {
      left: `={{ $json.done === true || $json.status === 'rate_limited' || $runIndex >= ${options.maxCalls - 1} }}`,
      operator: { type: 'boolean', operation: 'equals' },
      right: true,
    }),
  ], [
    ['When Executed by Another Workflow', 0, node],
    ['Run Manually', 0, node],
    [node, 0, 'Done?'],
    ['Done?', 1, node],
  ], options.what)
}

/** 5 minutes a call; TRACKLAKE_STEP_SECONDS in n8n's environment shortens it (the end-to-end test loops with 1 s). */
const stepSeconds = '={{ JSON.stringify({ maxSeconds: Number($env.TRACKLAKE_STEP_SECONDS) || 300 }) }}'

/** The MusicBrainz stage: discovery, matching, parsing from raw/, area hierarchy. */
export function musicbrainzWorkflows (): Record<string, Workflow> {
  return {
    'mbz-artist-discovery.json': singleCallWorkflow({
      id: 'tlMbzDiscovery',
      name: 'MBZ Artist Discovery',
      node: 'Discover Artists',
      path: '/v1/musicbrainz/discover',
      body: '={{ JSON.stringify({}) }}',
      what: 'Counts the played Spotify artists with no MusicBrainz match yet and not waiting in backoff (whole history), with a sample.',
    }),
    'mbz-artist-enrichment.json': granularWorkflow({ id: 'tlMbzArtists', name: 'MBZ Artist Enrichment', path: '/v1/musicbrainz/artists', what: 'Matches played Spotify artists to MusicBrainz (URL relation, ISRC, strict name) and fetches their details and genres' }),
    'mbz-data-parsing.json': untilDoneWorkflow({
      id: 'tlMbzParsing',
      name: 'MBZ Data Parsing',
      node: 'Parse Raw Answers',
      path: '/v1/musicbrainz/parse',
      body: stepSeconds,
      maxCalls: 10,
      what: 'Rebuilds mbz_artist_info, mbz_artist_genre, mbz_areas and the hierarchy flattening from raw/musicbrainz/ (the files not parsed yet), without calling MusicBrainz.',
    }),
    'mbz-hierarchy-processing.json': untilDoneWorkflow({
      id: 'tlMbzHierarchy',
      name: 'MBZ Hierarchy Processing',
      node: 'Build Area Hierarchy',
      path: '/v1/musicbrainz/areas/hierarchy',
      body: stepSeconds,
      maxCalls: 20,
      what: 'Walks the areas of matched artists up to their country (each area fetched once ever) into mbz_areas and mbz_area_hierarchy, about 5 minutes a call until done (at most 20 calls a run).',
    }),
  }
}

/** The last stages of the daily chain: one call each, as sub-workflows so that Daily ETL calls every stage the same way. */
export function finishingWorkflows (): Record<string, Workflow> {
  const call = (id: string, name: string, node: string, path: string, what: string): Workflow =>
    // One call does the whole step; its own time box (300 s by default) ends it before n8n's 600 s timeout.
    singleCallWorkflow({ id, name, node, path, body: '={{ JSON.stringify({}) }}', what, timeoutMs: 600_000 })
  return {
    'update-mbids.json': call('tlUpdateMbids', 'Update MBIDs', 'Update MBIDs', '/v1/musicbrainz/update-mbids',
      'Sets spotify_artists.artist_mbid from the MusicBrainz matches and tracks_played.artist_mbids from the credited artists. A second call changes nothing.'),
    'warehouse-build.json': call('tlWarehouseBuild', 'Warehouse Build', 'Build Warehouse', '/v1/warehouse/build',
      'Builds warehouse.duckdb from the lake (staging, intermediate, marts) and runs its model tests; a failing test keeps the previous warehouse.'),
    'raw-retention.json': call('tlRawRetention', 'Raw Retention', 'Apply Retention', '/v1/raw/retention',
      'Trims raw/ to TRACKLAKE_RAW_MAX_DAYS and TRACKLAKE_RAW_MAX_MB, never deleting what a parse still needs.'),
  }
}

/** The workflow that runs each step of the daily chain (src/daily/steps.ts), by id. */
const dailyStageWorkflows: Record<string, string> = {
  'spotify-tracks': 'tlSpotifyTracks',
  'spotify-artists': 'tlSpotifyArtists',
  'spotify-albums': 'tlSpotifyAlbums',
  'musicbrainz-discover': 'tlMbzDiscovery',
  'musicbrainz-artists': 'tlMbzArtists',
  'musicbrainz-parse': 'tlMbzParsing',
  'musicbrainz-hierarchy': 'tlMbzHierarchy',
  'geography-base': 'tlGeoBase',
  'geography-cities': 'tlGeoCities',
  'musicbrainz-update-mbids': 'tlUpdateMbids',
  'warehouse-build': 'tlWarehouseBuild',
  'raw-retention': 'tlRawRetention',
}

/**
 * Daily ETL: every stage's sub-workflow once, by its fixed id, in the order of the in-process chain (POST /v1/daily),
 * one straight line (W13). A stage that fails, has nothing to do or answers nothing does not stop the next (W12). It
 * ends with the service's summary of every stage's calls since the run started (GET /v1/runs/summary): the run
 * records hold the service's own codes and messages, where n8n would only pass on "Service unavailable".
 */
export function dailyEtlWorkflow (stages: Workflow[]): Workflow {
  const calls = dailyChain.map((step, i) => {
    const sub = stages.find((w) => w.id === dailyStageWorkflows[step.name])
    if (!sub) throw new Error(`Daily ETL: no workflow runs the step ${step.name}`)
    return executeWorkflow(sub.name, [660 + i * 220, 100], sub.id)
  })
  const line = ['Start', ...calls.map((c) => c.name), 'Summary']
  return workflow('tlDailyEtl', 'Daily ETL', [
    // First: `n8n execute` starts a workflow at its first trigger, and a run by hand must not wait the random delay.
    manualTrigger([0, 200]),
    // 04:00 in n8n's GENERIC_TIMEZONE (the workflow sets no zone of its own), then a random delay of up to an hour:
    // MusicBrainz asks clients not to call at fixed clock times, so no two runs (or installs) start at the same minute.
    scheduleTrigger('Every Day at 04:00', [0, 0], { field: 'days', daysInterval: 1, triggerAtHour: 4, triggerAtMinute: 0 }),
    waitFor('Random Delay', [220, 0], '={{ Math.floor(Math.random() * 3600) }}', 'seconds'),
    // The summary covers the calls made from here on.
    setFields('Start', [440, 100], [{ name: 'startedAt', type: 'string', value: '={{ $now.toUTC().toISO() }}' }]),
    ...calls,
    tracklakeRequest('Summary', [660 + calls.length * 220, 100], {
      method: 'GET',
      path: '/v1/runs/summary',
      query: { since: "={{ $('Start').first().json.startedAt }}" },
      executeOnce: true,
    }),
  ], [
    ['Every Day at 04:00', 0, 'Random Delay'],
    ['Random Delay', 0, 'Start'],
    ['Run Manually', 0, 'Start'],
    ...line.slice(1).map((name, i): [string, number, string] => [line[i]!, 0, name]),
  ], 'Every day after 04:00 (n8n\'s GENERIC_TIMEZONE, plus up to an hour at random): Spotify tracks, artists, albums, MusicBrainz discovery, matching, parsing, area hierarchy, geography base, coordinates, Update MBIDs, the warehouse build and raw/ retention, each sub-workflow once, in that order. A stage that fails or has nothing to do does not stop the next. Ends with the summary of every stage.')
}

/** Every workflow, keyed by its file name in n8n-workflows/. */
export function allWorkflows (): Record<string, Workflow> {
  const stages = stageWorkflows()
  return { ...stages, 'daily-etl.json': dailyEtlWorkflow(Object.values(stages)) }
}

/** Every workflow but Daily ETL. */
function stageWorkflows (): Record<string, Workflow> {
  return {
    'track-ingestion.json': trackIngestionWorkflow(),
    'spotify-track-resolution.json': granularWorkflow({ id: 'tlSpotifyTracks', name: 'Spotify Track Resolution', path: '/v1/spotify/tracks', what: 'Resolves imported plays to Spotify artist and album ids, ISRC and duration' }),
    'spotify-artist-enrichment.json': granularWorkflow({ id: 'tlSpotifyArtists', name: 'Spotify Artist Enrichment', path: '/v1/spotify/artists', what: 'Enriches played artists from Spotify' }),
    'spotify-album-enrichment.json': granularWorkflow({ id: 'tlSpotifyAlbums', name: 'Spotify Album Enrichment', path: '/v1/spotify/albums', what: 'Enriches played albums from Spotify' }),
    ...musicbrainzWorkflows(),
    'geography-base-enrichment.json': untilDoneWorkflow({
      id: 'tlGeoBase',
      name: 'Geography Base Enrichment',
      node: 'Enrich Areas',
      path: '/v1/geography/base',
      body: stepSeconds,
      maxCalls: 20,
      what: 'Adds continent, country and state codes and the geocoding key (params) to every new mbz_area_hierarchy row. No network.',
    }),
    'geography-coordinate-enrichment.json': granularWorkflow({ id: 'tlGeoCities', name: 'Geography Coordinate Enrichment', path: '/v1/geography/cities', what: 'Geocodes the places artists come from (offline GeoNames gazetteer, or OpenWeather with GEOCODER=openweather)' }),
    ...finishingWorkflows(),
  }
}
