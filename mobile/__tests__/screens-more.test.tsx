/** States of the PIX keys, receive, device, documents and "Mais" screens. */
import { act, fireEvent, screen, waitFor } from "@testing-library/react-native";
import { router } from "expo-router";

import { FakeGateway, problem } from "./support/gateway";
import { renderApp, TestBiometrics } from "./support/harness";

const key = { id: 11, key_type: "EVP", key: "3d35f8fe-5ee8-4bfa-a06a-a1dedcec6026", created_at: "2026-12-02T12:00:00Z" };

function base() {
  return new FakeGateway()
    .on("GET /accounts/me", () => [200, { id: 3, balance_cents: 0, held_cents: 0, available_cents: 0 }])
    .on("GET /accounts/me/entries", () => [200, []])
    .on("GET /kyc/status", () => [200, { status: "verified", methods: [] }])
    .on("POST /auth/devices", () => [201, { device_id: 9, thumbprint: "thumbprint-of-the-key" }])
    .on("POST /auth/step-up/challenge", () => [200, { challenge_id: "c1", challenge: "sign-me", expires_in: 60 }])
    .on("POST /auth/step-up", () => [200, { access_token: "stepped", expires_in: 120, acr: "stepup", amr: ["pwd", "hwk"] }]);
}

async function enrolDevice() {
  fireEvent.press(await screen.findByTestId("device-enrol"));
  expect(await screen.findByTestId("device-done")).toBeTruthy();
}

test("device enrolment: the biometric prompt, then the enrolled device; a cancelled prompt enrols nothing", async () => {
  const bio = new TestBiometrics();
  bio.answer = false;
  const gw = base();
  renderApp(gw, { signedIn: true, initialUrl: "/aparelho", biometrics: bio });
  fireEvent.press(await screen.findByTestId("device-enrol"));
  expect(await screen.findByText("Cadastro cancelado.")).toBeTruthy();
  expect(gw.callsTo("POST /auth/devices")).toHaveLength(0);
  bio.answer = true;
  await enrolDevice();
  expect(screen.getByTestId("device-enrolled")).toBeTruthy();
  const jwk = (gw.callsTo("POST /auth/devices")[0].body as { public_key: Record<string, string> }).public_key;
  expect(Object.keys(jwk).sort()).toEqual(["crv", "kty", "x", "y"]);
});

test("PIX keys: without a device the step-up is explained; with one, add and delete use the step-up token", async () => {
  let keys: (typeof key)[] = [];
  const gw = base()
    .on("GET /pix/keys", () => [200, keys])
    .on("POST /pix/keys", (r) => {
      if (r.headers.get("Authorization") !== "Bearer stepped") return [403, problem(403, "step_up_required")];
      keys = [key];
      return [201, key];
    })
    .on("DELETE /pix/keys/11", (r) => {
      if (r.headers.get("Authorization") !== "Bearer stepped") return [403, problem(403, "step_up_required")];
      keys = [];
      return [204, null];
    });
  renderApp(gw, { signedIn: true, initialUrl: "/pix/chaves" });
  expect(await screen.findByText("Você ainda não tem chaves Pix.")).toBeTruthy();
  fireEvent.press(screen.getByTestId("new-key-submit"));
  expect(await screen.findByText(/Cadastre este aparelho em Mais › Biometria e aparelho/)).toBeTruthy();
  expect(gw.callsTo("POST /pix/keys")).toHaveLength(0);
});

test("PIX keys after enrolment: add an e-mail key (normalised), then delete it", async () => {
  let keys: (typeof key)[] = [];
  const gw = base()
    .on("GET /pix/keys", () => [200, keys])
    .on("POST /pix/keys", (r) => {
      const b = r.body as { key_type: string; key?: string };
      if (b.key === "taken@example.com") return [409, problem(409, "pix_key_taken")];
      const k = { ...key, key_type: b.key_type, key: b.key ?? key.key };
      keys = [k];
      return [201, k];
    })
    .on("DELETE /pix/keys/11", () => {
      keys = [];
      return [204, null];
    });
  renderApp(gw, { signedIn: true, initialUrl: "/aparelho" });
  await enrolDevice();
  act(() => router.push("/pix/chaves")); // same session, the keys screen
  fireEvent.press(await screen.findByTestId("new-key-type-EMAIL"));
  fireEvent.changeText(screen.getByTestId("new-key-value"), "Taken@Example.com");
  fireEvent.press(screen.getByTestId("new-key-submit"));
  expect(await screen.findByText("Essa chave já está cadastrada no Pix.")).toBeTruthy();
  fireEvent.changeText(screen.getByTestId("new-key-value"), "Maria@Example.com");
  fireEvent.press(screen.getByTestId("new-key-submit"));
  expect(await screen.findByTestId("keys-done")).toHaveTextContent("Chave E-mail cadastrada: maria@example.com");
  expect(gw.callsTo("POST /pix/keys")[1].headers.get("Authorization")).toBe("Bearer stepped");
  fireEvent.press(await screen.findByTestId("key-delete-11"));
  expect(await screen.findByText("Chave maria@example.com excluída.")).toBeTruthy();
  await waitFor(() => expect(screen.getByText("Você ainda não tem chaves Pix.")).toBeTruthy());
});

test("receive: without keys a hint; with a key the BR Code is generated and shown as QR and text", async () => {
  let keys: (typeof key)[] = [];
  const gw = base()
    .on("GET /pix/keys", () => [200, keys])
    .on("POST /pix/brcode", () => [200, { brcode: "00020126580014br.gov.bcb.pix0136" + key.key + "5204000053039865802BR6304ABCD" }]);
  renderApp(gw, { signedIn: true, initialUrl: "/pix/receber" });
  expect(await screen.findByText("Cadastre uma chave Pix para receber.")).toBeTruthy();
  keys = [key];
  act(() => router.replace("/pix/receber?again=1"));
  fireEvent.changeText(await screen.findByTestId("receive-amount"), "1234");
  fireEvent.press(screen.getByTestId("receive-generate"));
  expect(await screen.findByTestId("receive-qr")).toBeTruthy();
  expect(screen.getByTestId("receive-brcode")).toHaveTextContent(/^00020126/);
  expect(gw.callsTo("POST /pix/brcode")[0].body).toEqual({ key_id: 11, amount_cents: 1234 });
});

test("documents: the list, and an error loading it", async () => {
  const doc = { id: "d1", kind: "receipt", filename: "comprovante.png", content_type: "image/png", size_bytes: 20480, sha256: "x", created_at: "2026-12-02T12:00:00Z" };
  const gw = base().on("GET /documents", () => [200, [doc]]);
  renderApp(gw, { signedIn: true, initialUrl: "/documentos" });
  expect(await screen.findByText("comprovante.png")).toBeTruthy();
  expect(screen.getByText(/20 KB/)).toBeTruthy();
});

test("documents: a failed list is a message", async () => {
  renderApp(base().on("GET /documents", () => [503, problem(503, "unavailable")]), { signedIn: true, initialUrl: "/documentos" });
  expect(await screen.findByTestId("documents-error")).toHaveTextContent("Este serviço está indisponível no momento. Tente mais tarde.");
});

test("logout from Mais ends the session on the gateway and on the device", async () => {
  const gw = base().on("POST /auth/logout", () => [204, null]);
  const { secrets } = renderApp(gw, { signedIn: true, initialUrl: "/mais" });
  fireEvent.press(await screen.findByTestId("logout"));
  expect(await screen.findByTestId("screen-login")).toBeTruthy();
  expect(gw.callsTo("POST /auth/logout")).toHaveLength(1);
  expect(secrets.items.has("cofre.refresh_token")).toBe(false);
});

test("Mais: logins locked after wrong passwords are told to the holder in Portuguese; none, no card", async () => {
  const gw = base().on("GET /auth/security-events", () => [
    200,
    [{ id: 4, kind: "login_locked", at: "2026-12-02T12:00:00Z", details: { failures: 5, locked_until: "2026-12-02T12:01:00Z", scope: "new_clients" } }],
  ]);
  renderApp(gw, { signedIn: true, initialUrl: "/mais" });
  expect(await screen.findByTestId("security-event-4")).toHaveTextContent(/5 tentativas de entrar na sua conta com a senha errada/);
  expect(screen.getByTestId("security-event-4")).toHaveTextContent(/troque sua senha/);
  screen.unmount();
  renderApp(base().on("GET /auth/security-events", () => [200, []]), { signedIn: true, initialUrl: "/mais" });
  expect(await screen.findByTestId("logout")).toBeTruthy();
  expect(screen.queryByTestId("security-events")).toBeNull();
});

describe("Devolver Pix", () => {
  const info = (refunded: number) => ({ transfer_id: 21, amount_cents: 3000, refunded_cents: refunded, refundable_cents: 3000 - refunded, refunds: [] });

  test("a credit in the statement opens the refund; a part is given back with an Idempotency-Key, the outcome shown", async () => {
    const gw = new FakeGateway()
      .on("GET /accounts/me", () => [200, { id: 3, balance_cents: 3000, held_cents: 0, available_cents: 3000 }])
      .on("GET /accounts/me/entries", () => [200, [{ transfer_id: 21, side: "credit", amount_cents: 3000, created_at: "2026-12-02T12:00:00Z" }]])
      .on("GET /kyc/status", () => [200, { status: "verified", methods: [] }])
      .on("GET /pix/transfers/21/refunds", () => [200, info(0)])
      .on("POST /pix/transfers/21/refunds", () => [201, { id: 30, refund_of: 21, amount_cents: 1000, status: "completed", refundable_cents: 2000, balance_cents: 2000 }]);
    renderApp(gw, { signedIn: true });
    fireEvent.press(await screen.findByTestId("entry-21"));
    expect(await screen.findByTestId("refund-refundable")).toHaveTextContent("R$ 30,00");
    expect(screen.getByTestId("refund-amount").props.value).toBe("30,00");
    fireEvent.changeText(screen.getByTestId("refund-amount"), "4000");
    fireEvent.press(screen.getByTestId("refund-confirm"));
    expect(await screen.findByText("Você pode devolver no máximo R$ 30,00 deste Pix.")).toBeTruthy();
    expect(gw.callsTo("POST /pix/transfers/21/refunds")).toHaveLength(0);
    fireEvent.changeText(screen.getByTestId("refund-amount"), "1000");
    fireEvent.changeText(screen.getByTestId("refund-note"), "pago em dobro");
    fireEvent.press(screen.getByTestId("refund-confirm"));
    expect(await screen.findByTestId("refund-done")).toBeTruthy();
    expect(screen.getByTestId("refund-message")).toHaveTextContent("Você devolveu R$ 10,00 a quem fez o Pix.");
    expect(screen.getByTestId("refund-balance")).toHaveTextContent("R$ 20,00");
    const [call] = gw.callsTo("POST /pix/transfers/21/refunds");
    expect(call.body).toEqual({ amount_cents: 1000, description: "pago em dobro" });
    expect(call.headers.get("Idempotency-Key")).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("all that is left goes without an amount; a network failure is retried with the same key", async () => {
    const gw = base()
      .on("GET /pix/transfers/21/refunds", () => [200, info(1000)])
      .on(
        "POST /pix/transfers/21/refunds",
        () => {
          throw new TypeError("Network request failed");
        },
        () => [201, { id: 31, refund_of: 21, amount_cents: 2000, status: "completed", refundable_cents: 0, balance_cents: 0 }],
      );
    renderApp(gw, { signedIn: true, initialUrl: "/pix/devolver?transfer_id=21" });
    expect(await screen.findByTestId("refund-refunded")).toHaveTextContent("R$ 10,00");
    fireEvent.press(screen.getByTestId("refund-confirm"));
    expect(await screen.findByText(/Sem conexão com o cofre/)).toBeTruthy();
    fireEvent.press(screen.getByTestId("refund-confirm"));
    expect(await screen.findByTestId("refund-done")).toBeTruthy();
    const calls = gw.callsTo("POST /pix/transfers/21/refunds");
    expect(calls.map((c) => c.body)).toEqual([{}, {}]);
    expect(calls[0].headers.get("Idempotency-Key")).toBe(calls[1].headers.get("Idempotency-Key"));
  });

  test("not a PIX received (a deposit): the Portuguese reason; fully refunded: nothing to give back", async () => {
    const gw = base().on("GET /pix/transfers/5/refunds", () => [404, problem(404, "transfer_not_found", "no PIX transfer of yours with this id")]);
    renderApp(gw, { signedIn: true, initialUrl: "/pix/devolver?transfer_id=5" });
    expect(await screen.findByText("Este lançamento não é um Pix recebido por você; não há o que devolver.")).toBeTruthy();
    screen.unmount();
    renderApp(base().on("GET /pix/transfers/21/refunds", () => [200, info(3000)]), { signedIn: true, initialUrl: "/pix/devolver?transfer_id=21" });
    expect(await screen.findByTestId("refund-nothing-left")).toBeTruthy();
    expect(screen.queryByTestId("refund-confirm")).toBeNull();
  });

  test("refund above the limit: biometric step-up, the SAME key sent again; a refused amount is a message", async () => {
    const gw = base()
      .on("GET /pix/transfers/21/refunds", () => [200, info(0)])
      .on(
        "POST /pix/transfers/21/refunds",
        () => [403, problem(403, "step_up_required")],
        (r) => (r.headers.get("Authorization") === "Bearer stepped" ? [422, problem(422, "refund_window_expired")] : [403, problem(403, "step_up_required")]),
      );
    renderApp(gw, { signedIn: true, initialUrl: "/aparelho" });
    await enrolDevice();
    act(() => router.push("/pix/devolver?transfer_id=21"));
    fireEvent.press(await screen.findByTestId("refund-confirm"));
    expect(await screen.findByText("Um Pix só pode ser devolvido em até 90 dias. Este prazo terminou.")).toBeTruthy();
    const calls = gw.callsTo("POST /pix/transfers/21/refunds");
    expect(calls).toHaveLength(2);
    expect(calls[0].headers.get("Idempotency-Key")).toBe(calls[1].headers.get("Idempotency-Key"));
  });
});
