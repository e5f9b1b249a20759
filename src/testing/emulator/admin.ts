/**
 * A little of Dynamic's admin API, for backends: read a user by id, and revoke a session, with
 * `Authorization: Bearer dyn_…` (the emulator issues the token: `server.emulator.adminToken`).
 * Paths as Dynamic's: `GET /api/v0/environments/<environmentId>/users/<userId>` answers
 * `{ "user": … }`; `PUT /api/v0/sessions/<sessionId>/revoke` answers the Session object and sends
 * `admin.user.session.revoked`. Other admin paths answer 404 `not_emulated`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { timingSafeEqual } from 'node:crypto'
import { EmulatorError, sendJson } from './http.js'
import type { SessionObject } from './sessions.js'

/** What the admin API reads and does. */
export interface AdminApiContext {
  environmentId: string
  adminToken: string
  /** The user as the admin API renders it, or undefined. */
  user(id: string): Record<string, unknown> | undefined
  /** Revokes a session as an admin; its Session object, or undefined when unknown. */
  revokeSession(id: string): Promise<SessionObject | undefined>
}

/** The admin routes. */
export interface AdminApi {
  /** Answers `path` when it is an admin API path; false otherwise. */
  handle(
    path: string,
    method: string,
    req: IncomingMessage,
    res: ServerResponse,
    cors: Record<string, string>,
  ): Promise<boolean>
}

const ADMIN_PREFIXES = ['/api/v0/environments/', '/api/v0/sessions/', '/api/v0/users/']

/** Creates the admin routes. */
export function createAdminApi(context: AdminApiContext): AdminApi {
  const expected = Buffer.from(`Bearer ${context.adminToken}`)

  function authorize(req: IncomingMessage): void {
    const header = req.headers.authorization
    if (typeof header !== 'string' || !/^Bearer\s+dyn_/i.test(header)) {
      throw new EmulatorError(
        401,
        'unauthorized',
        "The admin API needs Authorization: Bearer dyn_… (the local Dynamic's token is server.emulator.adminToken).",
      )
    }
    const given = Buffer.from(header.replace(/^Bearer\s+/i, 'Bearer '))
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new EmulatorError(
        401,
        'invalid_api_token',
        "This dyn_ token is not this local Dynamic's: use server.emulator.adminToken.",
      )
    }
  }

  return {
    async handle(path, method, req, res, cors) {
      if (!ADMIN_PREFIXES.some((prefix) => path.startsWith(prefix))) return false
      authorize(req)
      const user = /^\/api\/v0\/environments\/([^/]{1,64})\/users\/([^/]{1,64})$/.exec(path)
      if (user && method === 'GET') {
        if (decodeURIComponent(user[1]!) !== context.environmentId)
          throw new EmulatorError(
            404,
            'environment_not_found',
            'This local Dynamic serves one environment: its id is server.environmentId.',
          )
        const found = context.user(decodeURIComponent(user[2]!))
        if (!found) throw new EmulatorError(404, 'user_not_found', 'No user has that id in this environment.')
        sendJson(res, 200, { user: found }, cors)
        return true
      }
      const revoke = /^\/api\/v0\/sessions\/([^/]{1,64})\/revoke$/.exec(path)
      if (revoke && method === 'PUT') {
        const session = await context.revokeSession(decodeURIComponent(revoke[1]!))
        if (!session) throw new EmulatorError(404, 'session_not_found', 'No session has that id.')
        sendJson(res, 200, session, cors)
        return true
      }
      throw new EmulatorError(
        404,
        'not_emulated',
        `This local Dynamic does not emulate ${method} ${path.slice('/api/v0'.length, 200)} of Dynamic's admin API; it serves GET /environments/{environmentId}/users/{userId} and PUT /sessions/{sessionId}/revoke.`,
      )
    },
  }
}
