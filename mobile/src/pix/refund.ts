/**
 * Devolução (refund) of a PIX received: GET /pix/transfers/{id}/refunds says how much is left to give
 * back; POST /pix/transfers/{id}/refunds gives back all of it (amount omitted) or a part, with the
 * attempt's Idempotency-Key (reused on a retry, so the money never goes back twice). A refund above
 * the step-up limit is met with the device key (biometric) and the SAME key is sent again.
 */
import { unwrap, unwrapWithStatus, type Api } from "../api/client";
import { ApiError } from "../api/problem";
import type { components } from "../api/schema";
import type { PaymentAttempt } from "../lib/idempotency";

export type RefundBody = components["schemas"]["RefundIn"];

export type RefundInfo = {
  transfer_id: number;
  amount_cents: number;
  refunded_cents: number;
  refundable_cents: number;
  refunds: { id: number; amount_cents: number; status: string; created_at: string; description?: string | null }[];
};

export type RefundDone = {
  id: number;
  amountCents: number;
  refundableCents: number | null;
  balanceCents: number | null;
};

export async function refundInfo(api: Api, transferId: number): Promise<RefundInfo> {
  const data = await unwrap(api.client.GET("/pix/transfers/{transfer_id}/refunds", { params: { path: { transfer_id: transferId } } }));
  return data as unknown as RefundInfo;
}

export async function sendRefund(
  api: Api,
  attempt: PaymentAttempt<RefundBody & { transfer_id: number }>,
  transferId: number,
  body: RefundBody,
  opts: { stepUp: () => Promise<string> },
): Promise<RefundDone> {
  const key = attempt.keyFor({ ...body, transfer_id: transferId });
  const post = (token?: string) =>
    unwrapWithStatus(
      api.client.POST("/pix/transfers/{transfer_id}/refunds", {
        body,
        params: { path: { transfer_id: transferId }, header: { "Idempotency-Key": key } },
        ...(token ? { headers: { Authorization: `Bearer ${token}` } } : {}),
      }),
    );
  try {
    let res;
    try {
      res = await post();
    } catch (e) {
      if (!(e instanceof ApiError && e.code === "step_up_required")) throw e;
      res = await post(await opts.stepUp());
    }
    attempt.settle();
    const d = res.data as Record<string, unknown>;
    const n = (v: unknown) => (typeof v === "number" ? v : null);
    return {
      id: Number(d.id),
      amountCents: Number(d.amount_cents),
      refundableCents: n(d.refundable_cents),
      balanceCents: n(d.balance_cents),
    };
  } catch (e) {
    // a final refusal ends the attempt; a network failure, timeout or rate limit keeps the key
    if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.code !== "step_up_required" && e.status !== 401 && e.status !== 429) {
      attempt.settle();
    }
    throw e;
  }
}
