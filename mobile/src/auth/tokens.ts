/**
 * Token store: the access token lives only in memory; the rotating refresh token is kept in the
 * device's secure storage (Keychain / Keystore through expo-secure-store) so the session survives
 * an app restart but never sits in plain storage. The login's ``device_token`` (which identifies this
 * client to later logins, so others' failed logins on the account do not lock it out) is kept there
 * too and survives logout.
 */

export interface SecretStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, opts?: { biometric?: boolean }): Promise<void>;
  remove(key: string): Promise<void>;
}

export const REFRESH_KEY = "cofre.refresh_token";
export const DEVICE_TOKEN_KEY = "cofre.device_token";

export class TokenStore {
  private access: string | null = null;

  constructor(private readonly secure: SecretStore) {}

  get accessToken(): string | null {
    return this.access;
  }

  async save(pair: { access_token: string; refresh_token?: string | null; device_token?: string | null }): Promise<void> {
    this.access = pair.access_token;
    if (pair.refresh_token) await this.secure.set(REFRESH_KEY, pair.refresh_token);
    if (pair.device_token) await this.secure.set(DEVICE_TOKEN_KEY, pair.device_token);
  }

  /** The device_token of an earlier login on this client (sent with the next login), or null. */
  deviceToken(): Promise<string | null> {
    return this.secure.get(DEVICE_TOKEN_KEY);
  }

  refreshToken(): Promise<string | null> {
    return this.secure.get(REFRESH_KEY);
  }

  async clear(): Promise<void> {
    this.access = null;
    await this.secure.remove(REFRESH_KEY);
  }
}

/** In-memory SecretStore (tests, and a fallback where no secure storage exists). */
export class MemorySecretStore implements SecretStore {
  readonly items = new Map<string, string>();
  async get(key: string) {
    return this.items.get(key) ?? null;
  }
  async set(key: string, value: string) {
    this.items.set(key, value);
  }
  async remove(key: string) {
    this.items.delete(key);
  }
}
