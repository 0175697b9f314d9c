/**
 * The gateway client: openapi-fetch over the generated `paths` types, plus what every call needs:
 * the bearer access token, a timeout, network failures as ApiError, and a silent refresh with the
 * rotating refresh token when the access token has expired (one refresh at a time; the request is
 * retried once). A refused refresh (reused, revoked or expired) clears the session and tells the
 * app, which sends the user back to the login screen with the message.
 */
import createClient, { type Middleware } from "openapi-fetch";

import type { TokenStore } from "../auth/tokens";
import { ApiError, networkError, toApiError } from "./problem";
import type { paths } from "./schema";

export type FetchLike = (input: Request) => Promise<Response>;

export type ApiOptions = {
  baseUrl: string;
  tokens: TokenStore;
  fetchImpl?: (input: Request, init?: RequestInit) => Promise<Response>;
  timeoutMs?: number;
  onSessionEnded?: (reason: ApiError) => void;
};

const NO_REFRESH = ["/auth/login", "/auth/register", "/auth/refresh"];

export function createApi(opts: ApiOptions) {
  const baseFetch = opts.fetchImpl ?? ((input: Request, init?: RequestInit) => globalThis.fetch(input, init));
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const baseUrl = opts.baseUrl.replace(/\/+$/, "");
  let refreshing: Promise<boolean> | null = null;

  async function timed(request: Request): Promise<Response> {
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // the race answers at the deadline even where a fetch implementation ignores the abort signal
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        ctl.abort();
        reject(networkError(true));
      }, timeoutMs);
    });
    try {
      return await Promise.race([
        baseFetch(request, { signal: ctl.signal }).catch((e: unknown) => {
          throw e instanceof ApiError ? e : networkError(ctl.signal.aborted);
        }),
        deadline,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function doRefresh(): Promise<boolean> {
    const token = await opts.tokens.refreshToken();
    if (!token) return false;
    const req = new Request(`${baseUrl}/auth/refresh`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: token }),
    });
    let res: Response;
    try {
      res = await timed(req);
    } catch {
      return false; // offline: keep the session, the caller sees its 401
    }
    const body = await res.json().catch(() => null);
    if (res.ok && body?.access_token) {
      await opts.tokens.save(body);
      return true;
    }
    if (res.status === 401 || res.status === 400) {
      await opts.tokens.clear();
      opts.onSessionEnded?.(toApiError(res.status, body));
    }
    return false;
  }

  /** Refresh once for everyone waiting (rotating tokens: two parallel refreshes would be a reuse). */
  function refreshOnce(): Promise<boolean> {
    refreshing ??= doRefresh().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  const gatewayFetch = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname.slice(new URL(baseUrl + "/").pathname.length - 1);
    const sentWith = request.headers.get("Authorization");
    const usedSession = !!sentWith && sentWith === `Bearer ${opts.tokens.accessToken}`;
    const retry = usedSession && !NO_REFRESH.includes(path) ? request.clone() : null;
    const res = await timed(request);
    if (res.status !== 401 || !retry) return res;
    if (!(await refreshOnce())) return res;
    retry.headers.set("Authorization", `Bearer ${opts.tokens.accessToken}`);
    return timed(retry);
  };

  const auth: Middleware = {
    onRequest({ request }) {
      const token = opts.tokens.accessToken;
      if (token && !request.headers.has("Authorization")) {
        request.headers.set("Authorization", `Bearer ${token}`);
      }
      return request;
    },
  };

  const client = createClient<paths>({ baseUrl, fetch: gatewayFetch });
  client.use(auth);

  /** Routes not (yet) in the generated schema (chat, identity proofing): same auth and errors. */
  async function raw<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const h = new Headers(headers);
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      h.set("Content-Type", "application/json");
      payload = JSON.stringify(body);
    }
    const token = opts.tokens.accessToken;
    if (token && !h.has("Authorization")) h.set("Authorization", `Bearer ${token}`);
    const res = await gatewayFetch(new Request(`${baseUrl}${path}`, { method, headers: h, body: payload }));
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    if (!res.ok) throw toApiError(res.status, parsed);
    return parsed as T;
  }

  return { client, raw, baseUrl, tokens: opts.tokens, refresh: refreshOnce };
}

export type Api = ReturnType<typeof createApi>;

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The data of a successful call, or the call's ApiError (problem+json) thrown. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw toApiError(response.status, error);
  return data as T;
}

/** Like unwrap, but also gives the HTTP status (PIX: 201 done, 202 held, 200 replay). */
export async function unwrapWithStatus<T>(call: Promise<Result<T>>): Promise<{ data: T; status: number }> {
  const { data, error, response } = await call;
  if (!response.ok) throw toApiError(response.status, error);
  return { data: data as T, status: response.status };
}

export { ApiError };
