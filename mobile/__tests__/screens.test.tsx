/** Each screen's states (loading, data, each error) over the real navigation tree and a scripted gateway. */
import { act, fireEvent, screen, waitFor } from "@testing-library/react-native";

import { router } from "expo-router";

import { FakeGateway, problem } from "./support/gateway";
import { renderApp } from "./support/harness";

const score = { score: 624, band: "bom", pd: 0.036, reasons: [{ feature: "score_latest", motivo: "Pontuação de crédito no bureau baixa", pontos: 194 }], model_version: "credit:1" };

function base() {
  return new FakeGateway()
    .on("GET /accounts/me", () => [200, { id: 3, balance_cents: 990000, held_cents: 0, available_cents: 990000 }])
    .on("GET /accounts/me/entries", () => [200, []])
    .on("GET /kyc/status", () => [200, { status: "verified", methods: ["otp", "documents"] }]);
}

describe("Início", () => {
  test("balance, statement pages on scroll, and the identity banner for an unverified login", async () => {
    const entry = (i: number) => ({ transfer_id: i, side: i % 2 ? "credit" : "debit", amount_cents: i % 2 ? 1000 : -500, created_at: "2026-12-02T12:00:00Z" });
    const gw = new FakeGateway()
      .on("GET /accounts/me", () => [200, { id: 3, balance_cents: 123456, held_cents: 0, available_cents: 123456 }])
      .on("GET /accounts/me/entries", (r) => {
        const offset = Number(r.query.get("offset"));
        return [200, offset >= 40 ? [] : Array.from({ length: 20 }, (_, k) => entry(offset + k + 1))];
      })
      .on("GET /kyc/status", () => [200, { status: "unverified", methods: ["otp"] }]);
    renderApp(gw, { signedIn: true });
    expect(await screen.findByTestId("balance")).toHaveTextContent("R$ 1.234,56");
    expect(screen.getByTestId("entry-1")).toBeTruthy();
    expect(await screen.findByTestId("home-identity")).toBeTruthy();
    await act(async () => {
      screen.getByTestId("screen-home").props.onEndReached();
    });
    await waitFor(() => expect(gw.callsTo("GET /accounts/me/entries").map((c) => c.query.get("offset"))).toContain("20"));
  });

  test("a PIX held for review: the available balance, the reserved amount, and the notice of its outcome", async () => {
    const gw = new FakeGateway()
      .on("GET /accounts/me", () => [200, { id: 3, balance_cents: 1000000, held_cents: 450000, available_cents: 550000 }])
      .on("GET /accounts/me/entries", () => [200, []])
      .on("GET /notifications", () => [
        200,
        [{ id: 8, kind: "pix_refused", title: "Pix não realizado", message: "Por segurança, seu Pix de R$ 4.500,00 não foi realizado.", transfer_id: 5, created_at: "2026-12-02T12:00:00Z", read_at: null }],
      ])
      .on("POST /notifications/8/read", () => [200, {}])
      .on("GET /kyc/status", () => [200, { status: "verified", methods: [] }]);
    renderApp(gw, { signedIn: true });
    expect(await screen.findByTestId("balance")).toHaveTextContent("R$ 5.500,00");
    expect(screen.getByTestId("balance-held-amount")).toHaveTextContent("Reservado em análise: R$ 4.500,00");
    expect(gw.callsTo("GET /notifications")[0].query.get("unread")).toBe("true");
    expect(screen.getByTestId("notice-pix_refused")).toHaveTextContent(/Pix não realizado/);
    fireEvent.press(screen.getByTestId("notice-read-8"));
    await waitFor(() => expect(screen.queryByTestId("notice-pix_refused")).toBeNull());
    expect(gw.callsTo("POST /notifications/8/read")).toHaveLength(1);
  });

  test("back on Início (after a PIX, a refund, another tab) the balance is loaded again", async () => {
    const gw = new FakeGateway()
      .on("GET /accounts/me", () => [200, { id: 3, balance_cents: 995000, held_cents: 0, available_cents: 995000 }], () => [200, { id: 3, balance_cents: 995000, held_cents: 300000, available_cents: 695000 }])
      .on("GET /accounts/me/entries", () => [200, []])
      .on("GET /kyc/status", () => [200, { status: "verified", methods: [] }]);
    renderApp(gw, { signedIn: true });
    expect(await screen.findByTestId("balance")).toHaveTextContent("R$ 9.950,00");
    act(() => router.push("/mais"));
    await screen.findByTestId("screen-more");
    act(() => router.push("/"));
    await waitFor(() => expect(screen.getByTestId("balance")).toHaveTextContent("R$ 6.950,00"));
    expect(screen.getByTestId("balance-held-amount")).toHaveTextContent("Reservado em análise: R$ 3.000,00");
  });

  test("an error loading the account is a Portuguese message with a retry", async () => {
    const gw = new FakeGateway()
      .on("GET /accounts/me", () => [500, problem(500, "internal_error", "Traceback ...")], () => [200, { id: 3, balance_cents: 100, held_cents: 0, available_cents: 100 }])
      .on("GET /accounts/me/entries", () => [200, []])
      .on("GET /kyc/status", () => [200, { status: "verified", methods: [] }]);
    renderApp(gw, { signedIn: true });
    expect(await screen.findByText("Algo deu errado do nosso lado. Tente de novo em instantes.")).toBeTruthy();
    expect(screen.queryByText(/Traceback/)).toBeNull();
    fireEvent.press(screen.getByTestId("home-refresh"));
    expect(await screen.findByText("R$ 1,00")).toBeTruthy();
  });
});

describe("Crédito", () => {
  test("loading, then the score with its band and reasons", async () => {
    renderApp(base().on("GET /suitability/me", () => [200, score]), { signedIn: true, initialUrl: "/credito" });
    expect(await screen.findByTestId("credit-score-value")).toHaveTextContent("624");
    expect(screen.getByTestId("credit-band")).toHaveTextContent("Faixa: Bom");
    expect(screen.getByText("Pontuação de crédito no bureau baixa")).toBeTruthy();
  });

  test("403 consent_required shows the consent screen; granting it loads the score", async () => {
    const gw = base()
      .on("GET /suitability/me", () => [403, problem(403, "consent_required", "needs consent", { purpose: "credit_analysis" })], () => [200, score])
      .on("POST /lgpd/consents/credit_analysis", () => [201, { purpose: "credit_analysis", granted: true, terms_version: 1, at: "2026-12-02T12:00:00Z" }]);
    renderApp(gw, { signedIn: true, initialUrl: "/credito" });
    fireEvent.press(await screen.findByTestId("consent-grant-credit_analysis"));
    expect(await screen.findByTestId("credit-score-value")).toHaveTextContent("624");
    expect(gw.callsTo("POST /lgpd/consents/credit_analysis")).toHaveLength(1);
  });

  test("403 identity_not_verified leads to the identity flow", async () => {
    renderApp(base().on("GET /suitability/me", () => [403, problem(403, "identity_not_verified")]), { signedIn: true, initialUrl: "/credito" });
    fireEvent.press(await screen.findByTestId("identity-start"));
    expect(await screen.findByTestId("screen-identity")).toBeTruthy();
  });

  test("503 model_unavailable and 404 features are messages, with a retry", async () => {
    const gw = base().on(
      "GET /suitability/me",
      () => [503, problem(503, "model_unavailable")],
      () => [404, problem(404, "customer_features_not_found")],
    );
    renderApp(gw, { signedIn: true, initialUrl: "/credito" });
    expect(await screen.findByText("Este serviço está indisponível no momento. Tente mais tarde.")).toBeTruthy();
    fireEvent.press(screen.getByTestId("credit-retry"));
    expect(await screen.findByText(/Ainda não temos dados suficientes/)).toBeTruthy();
  });
});

describe("Ofertas", () => {
  test("marketing consent gate, then offers with why they fit", async () => {
    const recs = {
      investor_profile: "moderado",
      credit_score: 624,
      model_version: "recommend:1",
      offers: [{ product: "CDB", name: "CDB 110% CDI", kind: "investment", amount_cents: 100000, instalment_cents: 0, term_months: 12, monthly_rate: "0", risk: 2, accept_probability: 0.42 }],
    };
    const gw = base()
      .on("GET /recommendations/me", () => [403, problem(403, "consent_required", "x", { purpose: "marketing" })], () => [200, recs])
      .on("POST /lgpd/consents/marketing", () => [201, { purpose: "marketing", granted: true, terms_version: 1, at: null }]);
    renderApp(gw, { signedIn: true, initialUrl: "/ofertas" });
    fireEvent.press(await screen.findByTestId("consent-grant-marketing"));
    expect(await screen.findByText("CDB 110% CDI")).toBeTruthy();
    expect(screen.getByText(/Moderado: aceita alguma oscilação/)).toBeTruthy();
    expect(screen.getByText(/afinidade estimada com você: 42%/)).toBeTruthy();
  });
});

test("Ofertas: the suitability questionnaire's answers are kept on the phone and sent with the request", async () => {
  const recs = (profile: string | null) => ({ investor_profile: profile, credit_score: 624, model_version: "recommend:1", offers: [] });
  const gw = base().on("GET /recommendations/me", (r) => [200, recs(r.query.get("answers") ? "moderado" : null)]);
  const { secrets } = renderApp(gw, { signedIn: true, initialUrl: "/ofertas" });
  expect(await screen.findByText(/Perfil de investidor ainda não definido/)).toBeTruthy();
  fireEvent.press(screen.getByTestId("offers-questionnaire"));
  fireEvent.press(screen.getByTestId("questionnaire-save"));
  expect(await screen.findByTestId("questionnaire-error")).toHaveTextContent("Responda as cinco perguntas.");
  for (const [q, v] of [["objetivo", 2], ["horizonte", 1], ["tolerancia_risco", 2], ["conhecimento", 1], ["situacao_financeira", 2]] as const) {
    fireEvent.press(screen.getByTestId(`q-${q}-${v}`));
  }
  fireEvent.press(screen.getByTestId("questionnaire-save"));
  expect(await screen.findByText(/Moderado: aceita alguma oscilação/)).toBeTruthy();
  const last = gw.callsTo("GET /recommendations/me").pop()!;
  expect(last.query.get("answers")).toBe("2,1,2,1,2");
  expect(last.query.get("answered_on")).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  expect(JSON.parse(secrets.items.get("cofre.suitability")!).answers).toBe("2,1,2,1,2");
});

describe("Pix", () => {
  const review = "/pix/revisar?key=ana%40example.com&key_type=EMAIL&amount_cents=5000";

  test("review and confirm: done, with the new balance", async () => {
    const gw = base().on("POST /pix/transfers", () => [201, { id: 2, status: "completed", amount_cents: 5000, balance_cents: 985000, recipient: { key: "ana@example.com" } }]);
    renderApp(gw, { signedIn: true, initialUrl: review });
    expect(await screen.findByTestId("review-amount")).toHaveTextContent("R$ 50,00");
    fireEvent.press(screen.getByTestId("review-confirm"));
    expect(await screen.findByTestId("pix-outcome-done")).toBeTruthy();
    expect(screen.getByTestId("outcome-balance")).toHaveTextContent("R$ 9.850,00");
    expect(gw.callsTo("POST /pix/transfers")[0].body).toEqual({ amount_cents: 5000, key: "ana@example.com", key_type: "EMAIL" });
  });

  test("held for review (202): 'Transferência em análise' with the amount reserved, the deadline and what happens next", async () => {
    const message =
      "Seu Pix de R$ 50,00 está em análise de segurança. O valor fica reservado na sua conta e não sai até a análise terminar (no máximo até 14:35, horário de Brasília). Avisaremos você do resultado.";
    const gw = base().on("POST /pix/transfers", () => [
      202,
      { id: 3, status: "held", amount_cents: 5000, hold_expires_at: "2026-12-02T17:35:00+00:00", message, balance_cents: 990000, available_cents: 985000 },
    ]);
    renderApp(gw, { signedIn: true, initialUrl: review });
    fireEvent.press(await screen.findByTestId("review-confirm"));
    expect(await screen.findByTestId("pix-outcome-held")).toBeTruthy();
    expect(screen.getByText("Transferência em análise")).toBeTruthy();
    expect(screen.getByTestId("outcome-message")).toHaveTextContent(message);
    expect(screen.getByTestId("outcome-held-amount")).toHaveTextContent("R$ 50,00");
    expect(screen.getByTestId("outcome-available")).toHaveTextContent("R$ 9.850,00");
    expect(screen.getByTestId("outcome-deadline")).toHaveTextContent(/\d\d:35/);
    expect(screen.getByTestId("outcome-next")).toHaveTextContent(/a reserva é desfeita/);
  });

  test("held without the gateway's message: a Portuguese fallback, never an empty screen", async () => {
    const gw = base().on("POST /pix/transfers", () => [202, { id: 3, status: "held", amount_cents: 5000 }]);
    renderApp(gw, { signedIn: true, initialUrl: review });
    fireEvent.press(await screen.findByTestId("review-confirm"));
    expect(await screen.findByText(/foi retido para análise/)).toBeTruthy();
    expect(screen.queryByTestId("outcome-deadline")).toBeNull();
  });

  test("blocked by the fraud screen", async () => {
    const gw = base().on("POST /pix/transfers", () => [403, problem(403, "blocked_by_fraud_screen", "blocked", { transfer: { id: 4 }, reasons: [] })]);
    renderApp(gw, { signedIn: true, initialUrl: review });
    fireEvent.press(await screen.findByTestId("review-confirm"));
    expect(await screen.findByTestId("pix-outcome-blocked")).toBeTruthy();
    expect(screen.getByText(/recusado pela nossa análise antifraude/)).toBeTruthy();
  });

  test("above the limit without an enrolled device: asks to enrol; insufficient funds is a message", async () => {
    const gw = base().on("POST /pix/transfers", () => [403, problem(403, "step_up_required")], () => [422, problem(422, "insufficient_funds")]);
    renderApp(gw, { signedIn: true, initialUrl: review });
    fireEvent.press(await screen.findByTestId("review-confirm"));
    expect(await screen.findByTestId("review-enrol")).toBeTruthy();
    fireEvent.press(screen.getByTestId("review-confirm"));
    expect(await screen.findByText("Saldo insuficiente para este Pix.")).toBeTruthy();
  });

  test("offline: 'Tentar de novo' resends with the same Idempotency-Key", async () => {
    const gw = base().on(
      "POST /pix/transfers",
      () => {
        throw new TypeError("Network request failed");
      },
      () => [201, { id: 5, status: "completed", amount_cents: 5000, balance_cents: 1 }],
    );
    renderApp(gw, { signedIn: true, initialUrl: review });
    fireEvent.press(await screen.findByTestId("review-confirm"));
    expect(await screen.findByText(/Sem conexão com o cofre/)).toBeTruthy();
    expect(screen.getByText("Tentar de novo")).toBeTruthy();
    fireEvent.press(screen.getByTestId("review-confirm"));
    expect(await screen.findByTestId("pix-outcome-done")).toBeTruthy();
    const [a, b] = gw.callsTo("POST /pix/transfers").map((c) => c.headers.get("Idempotency-Key"));
    expect(a).toBe(b);
  });

  test("send by key: the key is checked and the amount masked before the review", async () => {
    renderApp(base(), { signedIn: true, initialUrl: "/pix/enviar" });
    fireEvent.changeText(await screen.findByTestId("pix-key"), "529.982.247-24");
    fireEvent.changeText(screen.getByTestId("pix-amount"), "0");
    fireEvent.press(screen.getByTestId("pix-continue"));
    expect(await screen.findByText("CPF inválido. Confira os números.")).toBeTruthy();
    expect(screen.getByText("Informe um valor maior que zero.")).toBeTruthy();
  });

  test("copia e cola: the gateway parses the code; an invalid one is a message", async () => {
    const gw = base().on("POST /pix/brcode/parse", () => [400, problem(400, "invalid_brcode", "CRC mismatch")]);
    renderApp(gw, { signedIn: true, initialUrl: "/pix/copia-e-cola" });
    fireEvent.changeText(await screen.findByTestId("brcode-input"), "000201...");
    fireEvent.press(screen.getByTestId("brcode-continue"));
    expect(await screen.findByText("Código Pix inválido. Copie o código inteiro e tente de novo.")).toBeTruthy();
  });
});

describe("Atendimento", () => {
  test("a gateway without the assistant: unavailable", async () => {
    renderApp(base(), { signedIn: true, initialUrl: "/conversa" });
    fireEvent.changeText(await screen.findByTestId("chat-input"), "oi");
    fireEvent.press(screen.getByTestId("chat-send"));
    expect(await screen.findByTestId("chat-unavailable")).toBeTruthy();
  });

  test("answers with sources and screen actions; the conversation id is kept", async () => {
    const reply = { conversation_id: "c".repeat(32), answer: "Seu saldo é R$ 9.900,00.", topic: "extrato", confidence: 0.9, sources: [{ id: "extrato", title: "Saldo e extrato", topic: "extrato" }], actions: [{ type: "open_screen", label: "Ver extrato", screen: "extrato" }] };
    const gw = base().on("POST /chat/messages", () => [200, reply], () => [429, problem(429, "chat_rate_limited")]);
    renderApp(gw, { signedIn: true, initialUrl: "/conversa" });
    fireEvent.changeText(await screen.findByTestId("chat-input"), "qual meu saldo");
    fireEvent.press(screen.getByTestId("chat-send"));
    expect(await screen.findByText("Seu saldo é R$ 9.900,00.")).toBeTruthy();
    expect(screen.getByText("Fontes: Saldo e extrato")).toBeTruthy();
    expect(screen.getByTestId("chat-action-2-0")).toBeTruthy();
    fireEvent.changeText(screen.getByTestId("chat-input"), "e agora?");
    fireEvent.press(screen.getByTestId("chat-send"));
    expect(await screen.findByText("Você enviou muitas mensagens seguidas. Aguarde um pouco.")).toBeTruthy();
    expect(gw.callsTo("POST /chat/messages")[1].body).toEqual({ text: "e agora?", conversation_id: "c".repeat(32) });
  });
});

describe("Confirme sua identidade", () => {
  test("SMS code: masked phone, wrong code with attempts left, then verified", async () => {
    const gw = new FakeGateway()
      .on("GET /kyc/status", () => [200, { status: "unverified", methods: ["otp", "documents"] }])
      .on("POST /kyc/otp", () => [202, { challenge_id: "a".repeat(32), channel: "sms", destination: "+55 11 9****-0001", expires_in: 600, detail: "sent if on record" }])
      .on("POST /kyc/otp/verify", () => [400, problem(400, "invalid_code", "wrong code", { attempts_left: 4 })], () => [200, { status: "verified", method: "otp", verified_at: "2026-12-02T12:00:00Z" }]);
    renderApp(gw, { signedIn: true, initialUrl: "/identidade" });
    fireEvent.changeText(await screen.findByTestId("identity-destination"), "11970000001");
    expect(screen.getByTestId("identity-destination").props.value).toBe("(11) 97000-0001");
    fireEvent.press(screen.getByTestId("identity-send-code"));
    expect(await screen.findByTestId("identity-otp-sent")).toHaveTextContent(/\+55 11 9\*\*\*\*-0001/);
    expect(gw.callsTo("POST /kyc/otp")[0].body).toEqual({ channel: "sms", destination: "(11) 97000-0001" });
    fireEvent.changeText(screen.getByTestId("identity-code"), "12345a6");
    fireEvent.press(screen.getByTestId("identity-verify"));
    expect(await screen.findByText("Código incorreto. Confira e digite de novo. Tentativas restantes: 4.")).toBeTruthy();
    fireEvent.press(screen.getByTestId("identity-verify"));
    expect(await screen.findByTestId("identity-verified")).toBeTruthy();
    expect(gw.callsTo("POST /kyc/otp/verify")[1].body).toEqual({ challenge_id: "a".repeat(32), code: "123456" });
  });

  test("an expired code returns to the request step with its message", async () => {
    const gw = new FakeGateway()
      .on("GET /kyc/status", () => [200, { status: "unverified", methods: ["otp"] }])
      .on("POST /kyc/otp", () => [202, { challenge_id: "b".repeat(32), channel: "email", destination: "m***@e***.com", expires_in: 600, detail: "" }])
      .on("POST /kyc/otp/verify", () => [410, problem(410, "challenge_expired")]);
    renderApp(gw, { signedIn: true, initialUrl: "/identidade" });
    fireEvent.press(await screen.findByTestId("identity-channel-email"));
    fireEvent.press(screen.getByTestId("identity-send-code"));
    fireEvent.changeText(await screen.findByTestId("identity-code"), "654321");
    fireEvent.press(screen.getByTestId("identity-verify"));
    expect(await screen.findByText("O código expirou. Peça um novo código.")).toBeTruthy();
    expect(screen.getByTestId("identity-send-code")).toBeTruthy();
    expect(gw.callsTo("POST /kyc/otp")[0].body).toEqual({ channel: "email" });
    expect(screen.queryByTestId("identity-documents")).toBeNull(); // only the methods the gateway offers
  });
});

describe("Privacidade", () => {
  test("revoking a consent, and an export prepared in the background", async () => {
    let granted = true;
    let status = "received";
    const gw = base()
      .on("GET /lgpd/consents", () => [200, [{ purpose: "marketing", granted, terms_version: 1, at: "2026-12-02T12:00:00Z" }]])
      .on("GET /lgpd/consents/history", () => [200, []])
      .on("GET /lgpd/explanations", () => [200, { decisions: [{ service: "fraud", at: "2026-12-02T12:00:00Z", outcome: "approve", reasons: ["Valor alto da transação"] }], count: 1 }])
      .on("DELETE /lgpd/consents/marketing", () => {
        granted = false;
        return [200, { purpose: "marketing", granted: false, terms_version: 1, at: "2026-12-02T12:01:00Z" }];
      })
      .on("GET /lgpd/requests", () => [200, [{ id: 7, kind: "access", status, received_at: "2026-12-02T12:00:00Z", deadline_at: "2026-12-17T12:00:00Z", completed_at: null }]])
      .on("POST /lgpd/requests", () => [201, { id: 7, kind: "access", status: "received", received_at: "2026-12-02T12:00:00Z", deadline_at: "2026-12-17T12:00:00Z", completed_at: null }]);
    renderApp(gw, { signedIn: true, initialUrl: "/privacidade" });
    expect(await screen.findByText("Motivos: Valor alto da transação")).toBeTruthy();
    fireEvent(await screen.findByTestId("consent-toggle-marketing"), "valueChange", false);
    expect(await screen.findByText("Consentimento revogado: ofertas personalizadas.")).toBeTruthy();
    fireEvent.press(screen.getByTestId("lgpd-export"));
    expect(await screen.findByText(/Estamos preparando sua cópia/)).toBeTruthy();
    expect(screen.getByTestId("lgpd-request-status-7")).toHaveTextContent("Recebido");
    expect(screen.queryByTestId("lgpd-download-7")).toBeNull();
    status = "done";
    expect(await screen.findByTestId("lgpd-download-7", {}, { timeout: 8000 })).toBeTruthy();
  });
});

describe("Abrir conta", () => {
  test("CPF mask and check digits, then the gateway's 409 in Portuguese", async () => {
    const gw = new FakeGateway().on("POST /auth/register", () => [409, problem(409, "already_registered")]);
    renderApp(gw, { initialUrl: "/cadastro" });
    fireEvent.changeText(await screen.findByTestId("register-cpf"), "52998224724");
    expect(screen.getByTestId("register-cpf").props.value).toBe("529.982.247-24");
    fireEvent.changeText(screen.getByTestId("register-name"), "Maria");
    fireEvent.changeText(screen.getByTestId("register-email"), "maria@");
    fireEvent.changeText(screen.getByTestId("register-password"), "curta");
    fireEvent.press(screen.getByTestId("register-submit"));
    expect(await screen.findByText("CPF inválido. Confira os números.")).toBeTruthy();
    expect(screen.getByText("Informe seu nome completo.")).toBeTruthy();
    expect(screen.getByText("E-mail inválido.")).toBeTruthy();
    expect(screen.getByText("A senha precisa de pelo menos 10 caracteres.")).toBeTruthy();
    expect(gw.calls).toHaveLength(0);
    fireEvent.changeText(screen.getByTestId("register-cpf"), "52998224725");
    fireEvent.changeText(screen.getByTestId("register-name"), "Maria Silva");
    fireEvent.changeText(screen.getByTestId("register-email"), "maria@example.com");
    fireEvent.changeText(screen.getByTestId("register-password"), "correct horse battery");
    fireEvent.press(screen.getByTestId("register-submit"));
    expect(await screen.findByText("Já existe uma conta com este CPF ou e-mail. Entre com sua senha.")).toBeTruthy();
    expect(gw.callsTo("POST /auth/register")[0].body).toEqual({ cpf: "52998224725", name: "Maria Silva", email: "maria@example.com", password: "correct horse battery" });
  });
});
