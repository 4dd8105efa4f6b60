import { ConnectorError, SessionExpiredError } from "./connector-error";
import type { TConnectorContext } from "./types";

/** Sessions and tokens per connector revision, shared by every report that uses the connector. */
export type SessionCache = Map<string, Promise<unknown>>;

export function createSessionCache(): SessionCache {
  return new Map();
}

/**
 * Runs `call` with the connector's session, signing in first if there is none. When the system
 * says the session expired, the session is renewed once and the call retried once; a second
 * expiry is an error, so a broken login can never loop.
 */
export async function withSession<TSession, TResult>(
  cache: SessionCache,
  key: string,
  login: () => Promise<TSession>,
  call: (session: TSession) => Promise<TResult>,
): Promise<TResult> {
  const current = (cache.get(key) as Promise<TSession> | undefined) ?? signIn(cache, key, login);
  const session = await current;
  try {
    return await call(session);
  } catch (error) {
    if (!(error instanceof SessionExpiredError)) throw error;
    // another report may have renewed it already; only the first to notice signs in again
    const renewed =
      cache.get(key) === current
        ? signIn(cache, key, login)
        : (cache.get(key) as Promise<TSession>);
    try {
      return await call(await renewed);
    } catch (again) {
      if (again instanceof SessionExpiredError) {
        throw new ConnectorError(
          `signed in again, but the new session was refused too (${again.detail}); not retrying`,
        );
      }
      throw again;
    }
  }
}

function signIn<TSession>(cache: SessionCache, key: string, login: () => Promise<TSession>) {
  const pending = login();
  cache.set(key, pending);
  // a failed sign-in is not cached: the next report tries again
  pending.catch(() => {
    if (cache.get(key) === pending) cache.delete(key);
  });
  return pending;
}

/**
 * The `call` of a connector kind: runs a request with the connector's session, keyed by the
 * connector and its revision so an edited connector never reuses a session of old credentials.
 */
export function sessionCaller<TConnection extends { id: string; revision: string }, TSession>(
  signIn: (connection: TConnection, context: TConnectorContext) => Promise<TSession>,
) {
  return <TResult>(
    connection: TConnection,
    context: TConnectorContext,
    run: (session: TSession) => Promise<TResult>,
  ): Promise<TResult> =>
    withSession(
      context.sessions,
      `${connection.id}:${connection.revision}`,
      () => signIn(connection, context),
      run,
    );
}
