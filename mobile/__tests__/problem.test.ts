import { ApiError, messageFor, toApiError } from "../src/api/problem";
import { problem } from "./support/gateway";

test("known codes get their Portuguese message", () => {
  expect(messageFor(toApiError(422, problem(422, "insufficient_funds")))).toBe("Saldo insuficiente para este Pix.");
  expect(messageFor(toApiError(401, problem(401, "refresh_token_reused")))).toMatch(/sessão foi encerrada/);
  expect(messageFor(toApiError(403, problem(403, "identity_not_verified")))).toMatch(/Confirme sua identidade/);
  expect(messageFor(toApiError(400, problem(400, "invalid_code")))).toMatch(/Código incorreto/);
  expect(messageFor(toApiError(410, problem(410, "challenge_expired")))).toMatch(/expirou/);
  expect(messageFor(toApiError(429, problem(429, "too_many_attempts")))).toMatch(/Muitas tentativas/);
});

test("consent_required names the purpose", () => {
  const e = toApiError(403, problem(403, "consent_required", "x", { purpose: "credit_analysis" }));
  expect(messageFor(e)).toBe("Para continuar, autorize o uso dos seus dados para análise de crédito.");
});

test("unknown codes fall back by status, never to the raw body", () => {
  const raw = problem(500, "weird_failure", "Traceback (most recent call last): ...");
  const msg = messageFor(toApiError(500, raw));
  expect(msg).toBe("Algo deu errado do nosso lado. Tente de novo em instantes.");
  expect(msg).not.toMatch(/Traceback|weird_failure|\{/);
  expect(messageFor(toApiError(418, { detail: "teapot" }))).toBe("Não foi possível concluir a operação. Tente de novo.");
  expect(messageFor(toApiError(502, "<html>Bad gateway</html>"))).toMatch(/indisponível/);
  expect(messageFor(new Error("boom"))).toBe("Algo deu errado. Tente de novo.");
});

test("FastAPI's plain 422 (detail list) becomes validation_error", () => {
  const e = toApiError(422, { detail: [{ loc: ["body", "cpf"], msg: "bad", type: "value_error" }] });
  expect(e).toBeInstanceOf(ApiError);
  expect(e.code).toBe("validation_error");
  expect(messageFor(e)).toBe("Alguns dados não estão corretos. Confira os campos.");
});
