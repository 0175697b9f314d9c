"""Contract and RPC failures as problem+json, with the customer-facing message in Portuguese.

The escrow contract's typed errors (``EscrowError`` in native/contracts/escrow) arrive as numbers;
each maps to an HTTP status, a machine-readable code and a message for the customer.
"""

from __future__ import annotations

from lake.soroban_rpc import ContractError, NotAuthorised, RpcError, RpcUnavailable, TransactionRejected
from serving.errors import Problem

ESCROW_ERRORS: dict[int, tuple[int, str, str]] = {
    1: (409, "contract_already_initialized", "O contrato já foi inicializado."),
    2: (503, "contract_not_initialized", "O contrato de custódia ainda não foi inicializado."),
    3: (404, "escrow_not_found", "Custódia não encontrada."),
    4: (422, "escrow_invalid_amount", "O valor deve ser maior que zero."),
    5: (422, "escrow_invalid_deadline", "O prazo deve estar no futuro."),
    6: (422, "escrow_same_party", "Pagador e recebedor devem ser pessoas diferentes."),
    7: (409, "escrow_wrong_state", "Esta operação não é permitida no estado atual da custódia."),
    8: (409, "escrow_deadline_passed", "O prazo da custódia já terminou."),
    9: (409, "escrow_deadline_not_reached", "O reembolso só é possível depois do prazo da custódia."),
    10: (403, "escrow_not_party", "Somente o pagador ou o recebedor podem abrir uma disputa."),
    11: (422, "escrow_invalid_share", "A parte do recebedor deve estar entre zero e o valor da custódia."),
    12: (422, "escrow_insufficient_funds", "Saldo de BRL tokenizado insuficiente para financiar a custódia."),
}


def problem_of(exc: RpcError) -> Problem:
    if isinstance(exc, ContractError):
        status, code, message = ESCROW_ERRORS.get(
            exc.number, (422, "contract_error", f"O contrato recusou a operação (erro {exc.number}).")
        )
        return Problem(status, code, message, contract_error=exc.number)
    if isinstance(exc, NotAuthorised):
        return Problem(
            403, "contract_not_authorised", "Somente a parte autorizada pode executar esta operação."
        )
    if isinstance(exc, RpcUnavailable):
        return Problem(503, "soroban_unavailable", "A rede de contratos está indisponível; tente novamente.")
    if isinstance(exc, TransactionRejected):
        return Problem(502, "soroban_rejected", f"A rede recusou a transação ({exc.detail}).")
    return Problem(502, "soroban_error", f"Falha na rede de contratos ({exc.code}).")
