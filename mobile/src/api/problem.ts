/**
 * Errors from the gateway (RFC 9457 problem+json) and from the network, turned into Portuguese
 * messages for people. The raw body is kept for logic (code, purpose, reasons) and never shown.
 */

export type ProblemBody = {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
  detail?: string;
  instance?: string;
  errors?: { field?: string; message?: string; type?: string }[];
  [extra: string]: unknown;
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly problem: ProblemBody,
  ) {
    super(`${status} ${code}`);
    this.name = "ApiError";
  }

  get offline(): boolean {
    return this.code === "network_error";
  }
}

/** Build an ApiError from whatever a failed response carried (problem+json, other JSON, text). */
export function toApiError(status: number, body: unknown): ApiError {
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const b = body as ProblemBody;
    if (typeof b.code === "string") return new ApiError(status, b.code, b);
    if (Array.isArray((b as { detail?: unknown }).detail)) {
      return new ApiError(status, "validation_error", { status, code: "validation_error" });
    }
  }
  return new ApiError(status, DEFAULT_CODES[status] ?? "error", { status });
}

export const networkError = (timeout: boolean) =>
  new ApiError(0, timeout ? "timeout" : "network_error", { status: 0 });

const DEFAULT_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "validation_error",
  429: "rate_limited",
  500: "internal_error",
  502: "unavailable",
  503: "unavailable",
  504: "timeout",
};

const PURPOSES: Record<string, string> = {
  credit_analysis: "análise de crédito",
  fraud_prevention: "prevenção a fraudes",
  marketing: "ofertas personalizadas",
  open_finance_sharing: "compartilhamento Open Finance",
};

export const purposeLabel = (p: string) => PURPOSES[p] ?? p;

const BY_CODE: Record<string, string> = {
  network_error: "Sem conexão com o cofre. Verifique sua internet e tente de novo.",
  timeout: "O cofre demorou para responder. Tente de novo em instantes.",
  invalid_credentials: "E-mail ou senha incorretos.",
  already_registered: "Já existe uma conta com este CPF ou e-mail. Entre com sua senha.",
  refresh_token_reused: "Por segurança, sua sessão foi encerrada. Entre de novo.",
  invalid_grant: "Sua sessão expirou. Entre de novo.",
  invalid_token: "Sua sessão expirou. Entre de novo.",
  unauthorized: "Sua sessão expirou. Entre de novo.",
  step_up_required: "Esta operação precisa da sua confirmação biométrica.",
  invalid_signature: "Não foi possível confirmar sua biometria neste aparelho. Cadastre o aparelho de novo.",
  invalid_challenge: "A confirmação expirou. Tente de novo.",
  device_not_found: "Este aparelho não está mais cadastrado. Cadastre-o de novo.",
  device_already_enrolled: "Este aparelho já está cadastrado.",
  invalid_device_key: "A chave deste aparelho não foi aceita. Tente cadastrar de novo.",
  insufficient_funds: "Saldo insuficiente para este Pix.",
  invalid_pix_key: "Chave Pix inválida. Confira o tipo e o valor da chave.",
  self_transfer: "Essa chave é sua. Escolha outro destinatário.",
  blocked_by_fraud_screen:
    "Por segurança, este Pix foi recusado pela nossa análise antifraude. Nenhum valor saiu da sua conta.",
  idempotency_key_conflict: "Este pagamento já foi enviado com outros dados. Comece um novo Pix.",
  idempotency_key_required: "Não foi possível identificar a tentativa de pagamento. Tente de novo.",
  pix_key_taken: "Essa chave já está cadastrada no Pix.",
  pix_key_not_found: "Chave não encontrada.",
  too_many_keys: "Você atingiu o limite de chaves Pix.",
  invalid_brcode: "Código Pix inválido. Copie o código inteiro e tente de novo.",
  consent_required: "Para continuar, precisamos do seu consentimento.",
  consent_not_granted: "Não há consentimento ativo para revogar.",
  identity_not_verified: "Confirme sua identidade para ver estes dados.",
  customer_features_not_found: "Ainda não temos dados suficientes sobre sua conta. Volte em alguns dias.",
  invalid_code: "Código incorreto. Confira e digite de novo.",
  challenge_not_found: "Este código não vale mais. Peça um novo código.",
  challenge_used: "Este código já foi usado. Peça um novo código.",
  too_many_codes: "Você pediu muitos códigos hoje. Tente amanhã ou confirme com documento e selfie.",
  invalid_destination: "Informe um celular com DDD, por exemplo (11) 91234-5678, ou um e-mail válido.",
  already_verified: "Sua identidade já está confirmada.",
  identity_already_linked: "Este CPF já foi confirmado em outra conta. Fale com o atendimento.",
  selfie_not_matched: "A selfie não confere com a foto do documento do titular do CPF. Tente de novo com boa luz.",
  selfie_unreadable: "Não conseguimos ler a foto. Tire outra, com o rosto inteiro e boa luz.",
  too_many_checks: "Muitas tentativas de selfie hoje. Tente de novo amanhã.",
  provider_unavailable: "O serviço de verificação está indisponível agora. Tente em alguns minutos.",
  provider_error: "O serviço de verificação está indisponível agora. Tente em alguns minutos.",
  content_mismatch: "O arquivo não é o que diz ser. Envie uma foto JPEG ou PNG, ou um PDF.",
  email_already_registered: "Este e-mail já está em uso em outra conta.",
  email_taken: "Este e-mail já está em uso em outra conta.",
  nothing_to_change: "Nada para corrigir: preencha ao menos um campo com um valor novo.",
  request_closed: "Este pedido já foi encerrado.",
  too_many_exports: "Você já pediu cópias dos seus dados hoje. Baixe a última ou tente amanhã.",
  export_expired: "Esta cópia expirou. Peça uma nova cópia dos seus dados.",
  export_not_ready: "Sua cópia ainda está sendo preparada. Tente de novo em instantes.",
  invalid_link: "O link expirou. Abra o documento de novo.",
  document_not_found: "Documento não encontrado.",
  invalid_brcode_request: "Não foi possível gerar o código Pix. Confira a chave e o valor.",
  chat_rate_limited: "Você enviou muitas mensagens seguidas. Aguarde um pouco.",
  conversation_not_found: "A conversa anterior terminou. Envie sua mensagem de novo.",
  challenge_expired: "O código expirou. Peça um novo código.",
  too_many_attempts: "Muitas tentativas. Peça um novo código.",
  rate_limited: "Muitas tentativas em pouco tempo. Aguarde um minuto e tente de novo.",
  validation_error: "Alguns dados não estão corretos. Confira os campos.",
  payload_too_large: "O arquivo é grande demais.",
  unsupported_media_type: "Tipo de arquivo não aceito. Envie uma foto (JPEG ou PNG) ou um PDF.",
  forbidden: "Você não tem permissão para esta operação.",
  not_found: "Não encontramos o que você procurou.",
  account_not_found: "Conta não encontrada.",
  unavailable: "Este serviço está indisponível no momento. Tente mais tarde.",
  model_unavailable: "Este serviço está indisponível no momento. Tente mais tarde.",
  internal_error: "Algo deu errado do nosso lado. Tente de novo em instantes.",
  login_temporarily_locked: "Muitas tentativas de senha erradas nesta conta. Por segurança, espere um pouco e tente de novo.",
  request_timeout: "A conexão ficou lenta e o envio não terminou. Tente de novo.",
  invalid_json: "Não foi possível enviar os dados. Atualize o aplicativo e tente de novo.",
  duplicate_json_key: "Não foi possível enviar os dados. Atualize o aplicativo e tente de novo.",
  invalid_cpf: "CPF inválido. Confira os números.",
  transfer_not_found: "Este lançamento não é um Pix recebido por você; não há o que devolver.",
  transfer_not_held: "Este Pix não está mais em análise.",
  notification_not_found: "Aviso não encontrado.",
  refund_exceeds_transfer: "O valor é maior que o que ainda pode ser devolvido deste Pix.",
  refund_window_expired: "Um Pix só pode ser devolvido em até 90 dias. Este prazo terminou.",
};

/** The Portuguese message for an error (ApiError or anything else thrown). */
export function messageFor(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === "consent_required" && typeof err.problem.purpose === "string") {
      return `Para continuar, autorize o uso dos seus dados para ${purposeLabel(err.problem.purpose)}.`;
    }
    if (err.code === "login_temporarily_locked" && typeof err.problem.retry_after === "number") {
      const min = Math.max(1, Math.ceil(err.problem.retry_after / 60));
      return `Muitas tentativas de senha erradas nesta conta. Por segurança, tente de novo em ${min} ${min === 1 ? "minuto" : "minutos"}.`;
    }
    if (err.code === "insufficient_funds" && err.problem.refund) {
      return "Saldo insuficiente para devolver este valor.";
    }
    const known = BY_CODE[err.code];
    if (known) return known;
    if (err.status >= 500) return BY_CODE.internal_error;
    if (err.status === 404) return BY_CODE.not_found;
    if (err.status === 401) return BY_CODE.unauthorized;
    if (err.status === 403) return BY_CODE.forbidden;
    return "Não foi possível concluir a operação. Tente de novo.";
  }
  return "Algo deu errado. Tente de novo.";
}
