import { fireEvent, screen, waitFor } from "@testing-library/react-native";

import { FakeGateway, problem, TOKENS } from "./support/gateway";
import { MemorySecretStore } from "../src/auth/tokens";
import { renderApp } from "./support/harness";

const account = () => new FakeGateway().on("GET /accounts/me", () => [200, { id: 7, balance_cents: 123456, held_cents: 0, available_cents: 123456 }]).on("GET /accounts/me/entries", () => [200, []]);

test("signed out: the login screen; empty fields are refused before any request", async () => {
  const gw = account();
  renderApp(gw);
  await screen.findByTestId("screen-login");
  fireEvent.press(screen.getByTestId("login-submit"));
  expect(await screen.findByText("Informe seu e-mail e sua senha.")).toBeTruthy();
  expect(gw.callsTo("POST /auth/login")).toHaveLength(0);
});

test("wrong password: the gateway's 401 invalid_credentials is shown in Portuguese, never as JSON", async () => {
  const gw = account().on("POST /auth/login", () => [401, problem(401, "invalid_credentials", "wrong e-mail or password")]);
  renderApp(gw);
  fireEvent.changeText(await screen.findByTestId("login-email"), "maria@example.com");
  fireEvent.changeText(screen.getByTestId("login-password"), "errada-errada");
  fireEvent.press(screen.getByTestId("login-submit"));
  expect(await screen.findByText("E-mail ou senha incorretos.")).toBeTruthy();
  expect(screen.queryByText(/invalid_credentials|wrong e-mail/)).toBeNull();
});

test("login: tokens saved (refresh in secure storage), then the home screen with the balance", async () => {
  const gw = account().on("POST /auth/login", () => [200, TOKENS]);
  const { secrets } = renderApp(gw);
  fireEvent.changeText(await screen.findByTestId("login-email"), " Maria@Example.com ");
  fireEvent.changeText(screen.getByTestId("login-password"), "correct horse battery");
  fireEvent.press(screen.getByTestId("login-submit"));
  expect(await screen.findByText("R$ 1.234,56")).toBeTruthy();
  expect(gw.callsTo("POST /auth/login")[0].body).toEqual({ email: "Maria@Example.com", password: "correct horse battery" });
  expect(secrets.items.get("cofre.refresh_token")).toBe("ref-1");
  expect(gw.callsTo("GET /accounts/me")[0].headers.get("Authorization")).toBe("Bearer acc-1");
});

test("offline at login: a network message", async () => {
  const gw = account().on("POST /auth/login", () => {
    throw new TypeError("Network request failed");
  });
  renderApp(gw);
  fireEvent.changeText(await screen.findByTestId("login-email"), "maria@example.com");
  fireEvent.changeText(screen.getByTestId("login-password"), "correct horse battery");
  fireEvent.press(screen.getByTestId("login-submit"));
  expect(await screen.findByText(/Sem conexão com o cofre/)).toBeTruthy();
});

test("a stored refresh token signs in silently (rotated token saved)", async () => {
  const gw = account();
  const { secrets } = renderApp(gw, { signedIn: true });
  expect(await screen.findByText("R$ 1.234,56")).toBeTruthy();
  expect(gw.callsTo("POST /auth/refresh")[0].body).toEqual({ refresh_token: "stored-refresh" });
  await waitFor(() => expect(secrets.items.get("cofre.refresh_token")).toBe("ref-1"));
});

test("a reused refresh token at start-up: back to login with the reason, token wiped", async () => {
  const gw = account().on("POST /auth/refresh", () => [401, problem(401, "refresh_token_reused")]);
  const secrets = new MemorySecretStore();
  secrets.items.set("cofre.refresh_token", "stolen-and-used");
  renderApp(gw, { secrets });
  expect(await screen.findByText("Por segurança, sua sessão foi encerrada. Entre de novo.")).toBeTruthy();
  expect(screen.getByTestId("screen-login")).toBeTruthy();
  expect(secrets.items.has("cofre.refresh_token")).toBe(false);
});

test("an expired access token mid-session is refreshed silently and the request retried", async () => {
  const gw = new FakeGateway()
    .on("POST /auth/refresh", () => [200, TOKENS], () => [200, { ...TOKENS, access_token: "acc-2", refresh_token: "ref-2" }])
    .on("GET /accounts/me", () => [401, problem(401, "invalid_token", "token expired")], () => [200, { id: 7, balance_cents: 500, held_cents: 0, available_cents: 500 }])
    .on("GET /accounts/me/entries", (r) => (r.headers.get("Authorization") === "Bearer acc-2" ? [200, []] : [401, problem(401, "invalid_token")]));
  const secrets = new MemorySecretStore();
  secrets.items.set("cofre.refresh_token", "stored-refresh");
  renderApp(gw, { secrets });
  expect(await screen.findByText("R$ 5,00")).toBeTruthy();
  // two requests failed at once; one refresh served both (a rotating token cannot be used twice)
  expect(gw.callsTo("POST /auth/refresh")).toHaveLength(2); // start-up + one mid-session
  expect(gw.callsTo("GET /accounts/me").map((c) => c.headers.get("Authorization"))).toEqual(["Bearer acc-1", "Bearer acc-2"]);
  expect(secrets.items.get("cofre.refresh_token")).toBe("ref-2");
});

test("a revoked session mid-session: back to login with a clear message", async () => {
  const gw = new FakeGateway()
    .on("POST /auth/refresh", () => [200, TOKENS], () => [401, problem(401, "invalid_grant", "refresh token revoked")])
    .on("GET /accounts/me", () => [401, problem(401, "invalid_token", "session revoked")])
    .on("GET /accounts/me/entries", () => [401, problem(401, "invalid_token", "session revoked")]);
  const secrets = new MemorySecretStore();
  secrets.items.set("cofre.refresh_token", "stored-refresh");
  renderApp(gw, { secrets });
  expect(await screen.findByText("Sua sessão expirou. Entre de novo.")).toBeTruthy();
  expect(screen.getByTestId("screen-login")).toBeTruthy();
  expect(secrets.items.has("cofre.refresh_token")).toBe(false);
});

test("the login's device_token is kept on the device and sent with the next login, which a lockout then spares", async () => {
  const gw = account().on("POST /auth/login", () => [200, { ...TOKENS, device_token: "dev-tok-1" }]);
  const secrets = new MemorySecretStore();
  renderApp(gw, { secrets });
  fireEvent.changeText(await screen.findByTestId("login-email"), "maria@example.com");
  fireEvent.changeText(screen.getByTestId("login-password"), "correct horse battery");
  fireEvent.press(screen.getByTestId("login-submit"));
  expect(await screen.findByText("R$ 1.234,56")).toBeTruthy();
  expect(secrets.items.get("cofre.device_token")).toBe("dev-tok-1");
  expect(gw.callsTo("POST /auth/login")[0].body).not.toHaveProperty("device_token");
  screen.unmount();
  // a later login on this client sends it back
  const again = account().on("POST /auth/login", () => [200, TOKENS]);
  secrets.items.delete("cofre.refresh_token");
  renderApp(again, { secrets });
  fireEvent.changeText(await screen.findByTestId("login-email"), "maria@example.com");
  fireEvent.changeText(screen.getByTestId("login-password"), "correct horse battery");
  fireEvent.press(screen.getByTestId("login-submit"));
  expect(await screen.findByText("R$ 1.234,56")).toBeTruthy();
  expect(again.callsTo("POST /auth/login")[0].body).toEqual({ email: "maria@example.com", password: "correct horse battery", device_token: "dev-tok-1" });
});

test("an account locked after failed logins: the wait in minutes, in Portuguese", async () => {
  const gw = account().on("POST /auth/login", () => [429, problem(429, "login_temporarily_locked", "too many failed logins: try again in 120 s", { retry_after: 120 })]);
  renderApp(gw);
  fireEvent.changeText(await screen.findByTestId("login-email"), "maria@example.com");
  fireEvent.changeText(screen.getByTestId("login-password"), "errada-errada");
  fireEvent.press(screen.getByTestId("login-submit"));
  expect(await screen.findByText("Muitas tentativas de senha erradas nesta conta. Por segurança, tente de novo em 2 minutos.")).toBeTruthy();
});
