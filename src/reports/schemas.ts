import { Type, type Static, type TSchema } from 'typebox'

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

/** The continents of the geography stage (countries-list codes). */
export const continentCodes = ['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'] as const

const maxFilterValues = 300

// Query strings. Unknown parameters are refused, so a typo (`contient=EU`) is a 400 rather than a silently wider answer.

const dateRange = {
  from: Type.Optional(Type.String({ format: 'date', description: 'first local date, inclusive (YYYY-MM-DD in the timezone of the build); default: no lower bound' })),
  to: Type.Optional(Type.String({ format: 'date', description: 'last local date, inclusive; default: no upper bound' })),
}

const placeFilters = {
  continent: Type.Optional(Type.Array(Type.Enum([...continentCodes]), {
    maxItems: continentCodes.length,
    description: `only artists from these continents (${continentCodes.join(', ')}); repeat the parameter for several`,
  })),
  country: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z]{2}$' }), {
    maxItems: maxFilterValues,
    description: 'only artists from these countries (ISO 3166-1 alpha-2, upper case); repeat the parameter for several',
  })),
}

export const RecentQuery = Type.Object({
  hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 31, description: 'the rolling window: the last this many hours up to now (default 24); not with from/to' })),
  ...dateRange,
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'top artists and top tracks to return' }),
}, { additionalProperties: false })

export const TimeQuery = Type.Object({ ...dateRange, ...placeFilters }, { additionalProperties: false })

export const GenresQuery = Type.Object({
  ...dateRange,
  genre: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
    maxItems: maxFilterValues,
    description: 'the chosen genres: topArtists lists the artists having any of them (all artists when none is given); repeat the parameter for several',
  })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 40, description: 'genres to return, most played first' }),
  artists: Type.Integer({ minimum: 1, maximum: 100, default: 15, description: 'top artists to return' }),
}, { additionalProperties: false })

export const PlacesQuery = Type.Object({
  ...dateRange,
  ...placeFilters,
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500, description: 'cities to return, most played first' }),
}, { additionalProperties: false })

export type RecentParams = Static<typeof RecentQuery>
export type TimeParams = Static<typeof TimeQuery>
export type GenresParams = Static<typeof GenresQuery>
export type PlacesParams = Static<typeof PlacesQuery>

// Answers.

const RangeSchema = Type.Object({
  from: Nullable(Type.String({ format: 'date', description: 'the from asked for (null: none)' })),
  to: Nullable(Type.String({ format: 'date', description: 'the to asked for (null: none)' })),
  timezone: Type.String({ description: 'TRACKLAKE_TIMEZONE of the warehouse build: local dates and hours are in it' }),
})

const plays = Type.Integer({ description: 'plays that count (30 s or more)' })
const minutes = Type.Number({ description: 'minutes played (ms_played, else the track\'s length), one decimal' })
const artists = Type.Integer({ description: 'distinct artists (primary artist of each play)' })

export const OverviewSchema = Type.Object({
  built: Type.Boolean({ description: 'whether a warehouse exists; every other report answers 404 WAREHOUSE_NOT_BUILT until one does' }),
  builtAt: Nullable(Type.String({ format: 'date-time' })),
  timezone: Nullable(Type.String({ description: 'TRACKLAKE_TIMEZONE of the build' })),
  plays: Type.Integer({ description: 'plays in the warehouse' }),
  minutes,
  firstDate: Nullable(Type.String({ format: 'date', description: 'local date of the first play in the warehouse' })),
  lastDate: Nullable(Type.String({ format: 'date', description: 'local date of the last play in the warehouse' })),
  lakePlays: Type.Integer({ description: 'plays that count in the lake (tracks_played) right now: more than `plays` when plays arrived after the build' }),
  howToBuild: Type.String({ description: 'how to build or refresh the warehouse' }),
})

const TopArtistSchema = Type.Object({
  artistId: Type.String({ description: 'dim_artist.artist_id, or for a play newer than the build its Spotify id or `name:` + its case-folded name' }),
  name: Type.String(),
  plays,
  minutes,
  tracks: Type.Integer({ description: 'distinct tracks' }),
})

const TopTrackSchema = Type.Object({
  trackId: Type.String(),
  name: Type.String(),
  artist: Type.String(),
  plays,
  minutes,
})

export const RecentSchema = Type.Object({
  window: Type.Object({
    kind: Type.Union([Type.Literal('rolling'), Type.Literal('dates')], { description: 'rolling: the last `hours` hours up to now; dates: the local dates from–to' }),
    hours: Nullable(Type.Integer()),
    start: Nullable(Type.String({ format: 'date-time', description: 'UTC start of a rolling window' })),
    end: Nullable(Type.String({ format: 'date-time', description: 'UTC end of a rolling window (now)' })),
    from: Nullable(Type.String({ format: 'date' })),
    to: Nullable(Type.String({ format: 'date' })),
    timezone: Type.String(),
  }),
  totals: Type.Object({ plays, minutes, artists, tracks: Type.Integer({ description: 'distinct tracks (not plays: W18)' }) }),
  topArtists: Type.Array(TopArtistSchema, { description: 'by minutes played, most first' }),
  topTracks: Type.Array(TopTrackSchema, { description: 'by minutes played, most first' }),
  timeline: Type.Object({
    unit: Type.Union([Type.Literal('hour'), Type.Literal('day'), Type.Literal('month')]),
    points: Type.Array(Type.Object({
      start: Type.String({ description: 'local start of the bucket: YYYY-MM-DD HH:00 (hour), YYYY-MM-DD (day) or YYYY-MM (month)' }),
      plays,
      minutes,
    }), { description: 'every bucket of the window, empty ones included' }),
  }),
  latest: Type.Array(Type.Object({
    playedAt: Type.String({ format: 'date-time' }),
    local: Type.String({ description: 'local start, YYYY-MM-DD HH:MM' }),
    track: Type.String(),
    artist: Type.String(),
    album: Nullable(Type.String()),
    minutes: Nullable(Type.Number()),
    source: Type.String(),
  }), { description: 'the last 50 plays of the window, newest first' }),
  newSinceBuild: Type.Integer({ description: 'plays of the window read from the lake because they arrived after the warehouse was built' }),
  builtAt: Type.String({ format: 'date-time' }),
})

const Measured = { plays, minutes }

export const TimeSchema = Type.Object({
  range: RangeSchema,
  totals: Type.Object({
    plays,
    minutes,
    artists,
    tracks: Type.Integer(),
    days: Type.Integer({ description: 'local days with a play' }),
    firstDate: Nullable(Type.String({ format: 'date' })),
    lastDate: Nullable(Type.String({ format: 'date' })),
  }),
  byYear: Type.Array(Type.Object({ year: Type.Integer(), ...Measured }), { description: 'every year from the first play to the last, empty ones included' }),
  byMonth: Type.Array(Type.Object({ month: Type.String({ description: 'YYYY-MM' }), ...Measured }), { description: 'every calendar month from the first play to the last' }),
  byMonthOfYear: Type.Array(Type.Object({ month: Type.Integer({ minimum: 1, maximum: 12 }), name: Type.String(), ...Measured })),
  byWeekday: Type.Array(Type.Object({ weekday: Type.Integer({ minimum: 1, maximum: 7, description: '1 = Monday' }), name: Type.String(), ...Measured })),
  byHour: Type.Array(Type.Object({ hour: Type.Integer({ minimum: 0, maximum: 23 }), timeOfDay: Type.String(), ...Measured })),
  byTimeOfDay: Type.Array(Type.Object({ timeOfDay: Type.String({ description: 'Morning (6–11), Afternoon (12–17), Evening (18–23), Night (0–5)' }), ...Measured })),
  byWeekdayHour: Type.Array(Type.Object({ weekday: Type.Integer(), hour: Type.Integer(), ...Measured }), { description: 'the 168 cells of a week, empty ones included' }),
})

const GenreSchema = Type.Object({
  genre: Type.String(),
  plays: Type.Integer({ description: 'plays of artists whose primary genre this is: every play counts in one genre, so these add up to the plays of all artists with a genre' }),
  minutes,
  artists: Type.Integer({ description: 'played artists whose primary genre this is' }),
  taggedPlays: Type.Integer({ description: 'plays of artists having this genre among theirs (a play counts in every genre of its artist)' }),
  taggedArtists: Type.Integer(),
  topArtist: Nullable(Type.String({ description: 'the most played artist with this primary genre' })),
})

export const GenresSchema = Type.Object({
  range: RangeSchema,
  totals: Type.Object({
    plays,
    minutes,
    withoutGenre: Type.Integer({ description: 'plays of artists with no genre (\'no genre defined\'): not among the genres' }),
    genres: Type.Integer({ description: 'genres with a play in the range' }),
  }),
  genres: Type.Array(GenreSchema, { description: 'most played first (primary plays, then tagged plays), up to limit' }),
  selection: Type.Object({
    genres: Type.Array(Type.String(), { description: 'the chosen genres (empty: all)' }),
    plays: Type.Integer({ description: 'plays of artists having any chosen genre' }),
    minutes,
    artists: Type.Integer(),
    byYear: Type.Array(Type.Object({ year: Type.Integer(), ...Measured })),
  }),
  topArtists: Type.Array(Type.Object({
    artistId: Type.String(),
    name: Type.String(),
    plays,
    minutes,
    primaryGenre: Type.String(),
    genres: Type.Array(Type.String(), { description: 'the artist\'s genres among the chosen ones (all its genres when none is chosen), its own rank order' }),
  }), { description: 'the most played artists having any chosen genre' }),
})

const located = {
  lat: Nullable(Type.Number()),
  lon: Nullable(Type.Number()),
  plays,
  minutes,
  artists,
  topArtist: Type.String({ description: 'the most played artist from there' }),
}

export const PlacesSchema = Type.Object({
  range: RangeSchema,
  totals: Type.Object({
    plays: Type.Integer({ description: 'plays in the range matching the continent and country filters' }),
    minutes,
    withCountry: Type.Integer({ description: 'of those, plays of artists whose country is known' }),
    withCoordinates: Type.Integer({ description: 'of those, plays of artists whose place has coordinates (the city bubbles)' }),
    unknownPlace: Type.Integer({ description: 'plays in the range of artists whose origin is unknown (never counted by a continent or country filter)' }),
  }),
  continents: Type.Array(Type.Object({
    code: Type.String(),
    name: Type.String(),
    ...located,
    countries: Type.Integer(),
  }), { description: 'most played first; lat/lon: a fixed point on the continent' }),
  countries: Type.Array(Type.Object({
    code: Type.String({ description: 'ISO 3166-1 alpha-2' }),
    name: Type.String(),
    continentCode: Nullable(Type.String()),
    continent: Nullable(Type.String()),
    ...located,
    cities: Type.Integer(),
  }), { description: 'most played first; lat/lon: the middle of the country\'s largest land area (Natural Earth via world-atlas), else the play-weighted mean of its cities' }),
  cities: Type.Array(Type.Object({
    name: Type.String({ description: 'the city, else the county or state the artist is from' }),
    state: Nullable(Type.String()),
    countryCode: Nullable(Type.String()),
    country: Nullable(Type.String()),
    continentCode: Nullable(Type.String()),
    continent: Nullable(Type.String()),
    ...located,
  }), { description: 'most played first, up to limit; lat/lon null where the place was not geocoded' }),
  options: Type.Object({
    continents: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), plays })),
    countries: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), continentCode: Nullable(Type.String()), plays })),
  }, { description: 'what the filters can choose in this range: every continent, and the countries of the chosen continents' }),
})

export type Overview = Static<typeof OverviewSchema>
export type Recent = Static<typeof RecentSchema>
export type TimeReport = Static<typeof TimeSchema>
export type GenresReport = Static<typeof GenresSchema>
export type PlacesReport = Static<typeof PlacesSchema>
