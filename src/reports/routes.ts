import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../schemas.ts'
import {
  GenresQuery, GenresSchema, OverviewSchema, PlacesQuery, PlacesSchema, RecentQuery, RecentSchema, TimeQuery, TimeSchema,
} from './schemas.ts'
import type { Reports } from './service.ts'

const tags = ['reports']
const dataErrors = errorResponses('VALIDATION_FAILED', 'WAREHOUSE_NOT_BUILT')

/** GET /v1/reports and the four reports the page at /reports draws. */
export const reportRoutes: FastifyPluginAsyncTypebox<{ reports: Reports }> = async (app, { reports }) => {
  app.get('/', {
    prefixTrailingSlash: 'no-slash',
    schema: {
      summary: 'Whether there is a warehouse to report on, and what it holds',
      description: 'Answers 200 with built: false when no warehouse exists yet (the page shows how to build one); lakePlays ' +
        'tells an empty lake from one whose warehouse was never built.',
      tags,
      response: { 200: OverviewSchema, ...errorResponses() },
    },
  }, () => reports.overview())

  app.get('/recent', {
    schema: {
      summary: 'The last 24 hours (or any window): minutes, plays, distinct artists and tracks, top artists and tracks',
      description: 'The rolling window ends now and includes plays that reached the lake after the last warehouse build ' +
        '(read from tracks_played, resolved through the warehouse\'s dimensions where it knows them). With from/to it covers ' +
        'those local dates instead. Top artists and tracks are ranked by minutes played. More than 25,000 plays the ' +
        'warehouse has not read (a big import since the build) answer 409 WAREHOUSE_BEHIND: build it first.',
      tags,
      querystring: RecentQuery,
      response: { 200: RecentSchema, ...errorResponses('VALIDATION_FAILED', 'WAREHOUSE_NOT_BUILT', 'WAREHOUSE_BEHIND') },
    },
  }, (request) => reports.recent(request.query))

  app.get('/time', {
    schema: {
      summary: 'Listening over time: plays and minutes by year, month, weekday and hour of day, in local time',
      tags,
      querystring: TimeQuery,
      response: { 200: TimeSchema, ...dataErrors },
    },
  }, (request) => reports.time(request.query))

  app.get('/genres', {
    schema: {
      summary: 'Plays by genre (for a treemap) and the top artists within chosen genres',
      description: 'Every play counts once, in its artist\'s primary genre (`plays`), and in every genre of its artist ' +
        '(`taggedPlays`). Plays of artists without a genre are counted in totals.withoutGenre only.',
      tags,
      querystring: GenresQuery,
      response: { 200: GenresSchema, ...dataErrors },
    },
  }, (request) => reports.genres(request.query))

  app.get('/places', {
    schema: {
      summary: 'Where the music comes from: plays per city (with coordinates), per country and per continent',
      description: 'Each play is placed where its primary artist is from (dim_artist). The continent and country filters ' +
        'narrow every list but `options`, which says what the filters can choose.',
      tags,
      querystring: PlacesQuery,
      response: { 200: PlacesSchema, ...dataErrors },
    },
  }, (request) => reports.places(request.query))
}
