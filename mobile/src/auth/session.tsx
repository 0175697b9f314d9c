/**
 * The signed-in session for the whole app: the API client, the token store, the device keys and
 * the current user. On start it tries the stored refresh token (silent sign-in); when a refresh is
 * refused the session ends and the login screen shows why.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";

import { createApi, unwrap, type Api } from "../api/client";
import { messageFor, type ApiError } from "../api/problem";
import type { components } from "../api/schema";
import type { Biometrics } from "../platform/biometrics";
import { DeviceKeys } from "./device";
import { TokenStore, type SecretStore } from "./tokens";

export type User = components["schemas"]["UserOut"];
export type Status = "starting" | "signedOut" | "signedIn";

export type Session = {
  api: Api;
  device: DeviceKeys;
  /** the device's secure storage (also for small per-customer settings kept on the phone) */
  secrets: SecretStore;
  status: Status;
  /** why the last session ended (shown on the login screen), if it ended on its own */
  notice: string | null;
  login(email: string, password: string): Promise<void>;
  register(input: { cpf: string; name: string; email: string; password: string }): Promise<User>;
  logout(): Promise<void>;
};

const Ctx = createContext<Session | null>(null);

export type SessionDeps = {
  baseUrl: string;
  secrets: SecretStore;
  biometrics: Biometrics;
  fetchImpl?: (input: Request, init?: RequestInit) => Promise<Response>;
  timeoutMs?: number;
};

export function SessionProvider({ deps, children }: { deps: SessionDeps; children: ReactNode }) {
  const [status, setStatus] = useState<Status>("starting");
  const [notice, setNotice] = useState<string | null>(null);
  const ended = useRef<(e: ApiError) => void>(() => {});
  ended.current = (e: ApiError) => {
    setNotice(messageFor(e));
    setStatus("signedOut");
  };

  const { api, device, tokens } = useMemo(() => {
    const tokens = new TokenStore(deps.secrets);
    const api = createApi({
      baseUrl: deps.baseUrl,
      tokens,
      fetchImpl: deps.fetchImpl,
      timeoutMs: deps.timeoutMs,
      onSessionEnded: (e) => ended.current(e),
    });
    return { api, tokens, device: new DeviceKeys(api, deps.secrets, deps.biometrics) };
  }, [deps]);

  useEffect(() => {
    let live = true;
    (async () => {
      const ok = (await tokens.refreshToken()) ? await api.refresh() : false;
      if (live) setStatus((s) => (s === "starting" ? (ok ? "signedIn" : "signedOut") : s));
    })();
    return () => {
      live = false;
    };
  }, [api, tokens]);

  const login = useCallback(
    async (email: string, password: string) => {
      const deviceToken = await tokens.deviceToken();
      const body = { email: email.trim(), password, ...(deviceToken ? { device_token: deviceToken } : {}) };
      const pair = await unwrap(api.client.POST("/auth/login", { body }));
      await tokens.save(pair);
      setNotice(null);
      setStatus("signedIn");
    },
    [api, tokens],
  );

  const register = useCallback(
    (input: { cpf: string; name: string; email: string; password: string }) =>
      unwrap(api.client.POST("/auth/register", { body: input })),
    [api],
  );

  const logout = useCallback(async () => {
    try {
      await unwrap(api.client.POST("/auth/logout"));
    } catch {
      // the session ends on this device either way
    }
    await tokens.clear();
    setNotice(null);
    setStatus("signedOut");
  }, [api, tokens]);

  const value = useMemo<Session>(
    () => ({ api, device, secrets: deps.secrets, status, notice, login, register, logout }),
    [api, device, deps.secrets, status, notice, login, register, logout],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): Session {
  const s = useContext(Ctx);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}
