import { ConnectorError, SessionExpiredError } from "./connector-error";
import type { TConnectorContext } from "./types";

/** Sessions and tokens per connector revision, shared by every report that uses the connector. */
export interface SessionCache {
  /**
   * The session in use for `key`, or a new one from `login` when there is none, or when the one
   * in use is `expired`: then only the first caller to say so signs in, and the others get its
   * new session. A failed sign-in is not kept.
   */
  session<TSession>(
    key: string,
    login: () => Promise<TSession>,
    expired?: TSession,
  ): Promise<TSession>;
}

/** The embedded default: sessions kept in this process's memory. */
export function createSessionCache(): SessionCache {
  const sessions = new Map<string, Promise<unknown>>();
  const signIn = <TSession>(key: string, login: () => Promise<TSession>) => {
    const pending = login();
    sessions.set(key, pending);
    pending.catch(() => {
      if (sessions.get(key) === pending) sessions.delete(key);
    });
    return pending;
  };
  return {
    async session<TSession>(key: string, login: () => Promise<TSession>, expired?: TSession) {
      const current = sessions.get(key) as Promise<TSession> | undefined;
      if (!current) return signIn(key, login);
      if (expired === undefined) return current;
      // another report may have renewed it already: only the first to notice signs in again
      const inUse = await current.catch(() => undefined);
      return inUse === expired && sessions.get(key) === current ? signIn(key, login) : current;
    },
  };
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
  const session = await cache.session(key, login);
  try {
    return await call(session);
  } catch (error) {
    if (!(error instanceof SessionExpiredError)) throw error;
    const renewed = await cache.session(key, login, session);
    try {
      return await call(renewed);
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
