"""What the OpenAPI document says about each operation: summary, description, examples, and the auth flow.

Kept in one table instead of in each router so that /docs reads as one manual (and router modules,
which many hands change, stay as they are). :func:`apply` runs once when the app is built, before the
document is generated: an operation that already has a description (its function's docstring or a
``description=`` in the decorator) keeps it; the others get theirs from :data:`OPERATIONS`.
:data:`PARAMETERS` describes the parameters many operations share (``Idempotency-Key``, ``X-Device-ID``, path
ids) where their declaration has no description (:func:`describe_parameters`, called by :mod:`serving.openapi`).
Schema fields are described where they are declared (``Field(description=..., examples=[...])`` on the
routers' models). ``tests/unit/test_openapi_described.py`` fails, listing the offenders, when an operation, a
schema, a field or a parameter has no description, a request body has no example, or an example does not
match its schema.
User-facing texts the gateway returns (reasons, notices) are in Portuguese; the documentation is in
English.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

AUTH_FLOW = """\
Thin APIs of the cofre digital bank. Amounts are integer cents (`amount_cents`); errors are RFC 9457
`application/problem+json` with a machine-readable `code` (branch on it, not on the text). This
documentation is in English; texts the app shows to customers as they are (fraud and credit reasons,
notifications, consent notices, the assistant's answers, some problem `detail`s) are in Portuguese, and
the examples show them so.

## Authentication

1. **Register** (`POST /auth/register`): CPF (check digits validated), name, e-mail, password (10+ chars).
2. **Log in** (`POST /auth/login`): e-mail and password give a token pair: an ES256 JWT
   `access_token` (short-lived; send it as `Authorization: Bearer <token>`, the *Authorize* button
   above), a rotating opaque `refresh_token` and a `device_token` (pass it to later logins from the
   same client: failed logins of others then do not lock it out). Public keys: `/.well-known/jwks.json`.
3. **Refresh** (`POST /auth/refresh`): spends the refresh token and returns the next pair. Presenting
   a spent refresh token again revokes the whole session (reuse detection).
4. **Prove your identity** once (`/kyc/...`): a one-time code to a contact on record, or document +
   selfie. Scores, PIX and documents need a proven identity.
5. **Step-up** for sensitive operations (PIX key changes, transfers above the step-up amount):
   enrol a device key (`POST /auth/devices`, ECDSA P-256 JWK kept behind the phone's biometrics),
   get a challenge (`POST /auth/step-up/challenge`), sign it with the device key and exchange the
   signature for a short-lived access token with `acr=urn:cofre:acr:bio-stepup`
   (`POST /auth/step-up`).
6. **Log out** (`POST /auth/logout`) ends the session: its access and refresh tokens stop working.

Roles: `customer` (own data only: another customer's resource is a 404), `admin` (deposits, the PIX
review queue, LGPD operations) and `auditor` (`/audit/verify`, `/logs`). Rate limits per IP and per
user answer 429 with `Retry-After`. `POST /pix/transfers` and refunds need an `Idempotency-Key` header.
"""

# (method, path) -> (summary, description)
OPERATIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/auth/register"): (
        "Create a customer login",
        "Registers a customer (CPF, name, e-mail, password) and opens their account. The CPF must have "
        "valid check digits; an e-mail already registered is a 409 `email_already_registered` (a CPF may "
        "be claimed by several logins until one proves it, see `/kyc`).",
    ),
    ("POST", "/auth/login"): (
        "Log in with e-mail and password",
        "Returns an access token (ES256 JWT), a rotating refresh token and a device token. Repeated "
        "failures back off and may lock the account for a while (the holder is told, see "
        "`GET /auth/security-events`); a client that passes its earlier `device_token` is not locked out "
        "by failures from elsewhere.",
    ),
    ("POST", "/auth/logout"): (
        "Log out",
        "Revokes the caller's session: its access and refresh tokens stop working at once.",
    ),
    ("POST", "/auth/devices"): (
        "Enrol a device key for step-up",
        "Stores the ECDSA P-256 public key (JWK) of a key the phone keeps behind its biometric prompt. "
        "Later step-ups are signed with it.",
    ),
    ("POST", "/auth/step-up/challenge"): (
        "Get a step-up challenge",
        "A one-time challenge string (valid for `expires_in` seconds) to sign with an enrolled device key.",
    ),
    ("POST", "/auth/step-up"): (
        "Exchange a signed challenge for a step-up token",
        "Verifies the base64url DER ECDSA-SHA256 signature of the challenge and returns a short-lived "
        "access token with `amr` containing `bio` and `acr=urn:cofre:acr:bio-stepup`, needed for PIX key "
        "changes and transfers above the step-up amount.",
    ),
    ("GET", "/.well-known/jwks.json"): (
        "Public keys of the access tokens",
        "The JWKS (ES256 keys, current and recently rotated) to verify access tokens offline.",
    ),
    ("GET", "/kyc/status"): (
        "Identity proofing status",
        "Whether the caller's identity is proven, by which method, and the methods available.",
    ),
    ("POST", "/kyc/otp"): (
        "Send a one-time code",
        "Sends a one-time code to a contact on record (e-mail or phone); the answer gives the masked "
        "destination and the challenge id. Codes are never logged.",
    ),
    ("POST", "/kyc/otp/verify"): (
        "Verify a one-time code",
        "Checks the code of a challenge; a correct code proves the caller's identity. A challenge dies "
        "after a few wrong codes.",
    ),
    ("POST", "/kyc/documents"): (
        "Prove identity with a document and a selfie",
        "Multipart upload of an identity document image and a selfie; the face check compares them and, "
        "when they match the customer on record, proves the identity.",
    ),
    ("GET", "/accounts/me"): (
        "My account and balance",
        "The caller's account: `balance_cents` (booked), `held_cents` (reserved by PIX transfers held for "
        "fraud review) and `available_cents` (what can be spent).",
    ),
    ("GET", "/accounts/me/entries"): (
        "My ledger entries",
        "The double-entry postings of the caller's account, newest first.",
    ),
    ("POST", "/admin/deposits"): (
        "Deposit into an account (admin)",
        "Cash-in from the `funding` system account, posted through the same idempotent double-entry ledger.",
    ),
    ("GET", "/pix/keys"): ("My PIX keys", "The PIX keys registered to the caller's account."),
    ("POST", "/pix/keys"): (
        "Register a PIX key",
        "Registers a CPF, e-mail, phone or random (EVP) key for the caller's account; needs step-up. "
        "A key already taken is a 409 `pix_key_taken`; a CPF key must be the holder's own.",
    ),
    ("DELETE", "/pix/keys/{key_id}"): (
        "Delete a PIX key",
        "Removes one of the caller's keys; needs step-up.",
    ),
    ("POST", "/pix/transfers"): (
        "Send a PIX",
        "Idempotent transfer (`Idempotency-Key` header required): the same key and body replay the first "
        "answer, another body with the same key is a 409. Amounts above the step-up amount need step-up. "
        "The fraud screen may block it (403 with reasons in Portuguese) or hold it for review (202: the "
        "amount is reserved until an analyst releases or refuses it); insufficient funds is a 422. A key "
        "of another customer of the bank credits their account; any other valid key goes to clearing.",
    ),
    ("GET", "/pix/transfers"): (
        "My PIX transfers",
        "The transfers the caller made with their current status (`completed`, `held`, `refused`, "
        "`blocked`, `rejected`) and review outcome.",
    ),
    ("GET", "/pix/transfers/{transfer_id}"): (
        "One of my PIX transfers",
        "Its current status and review outcome.",
    ),
    ("POST", "/pix/transfers/{transfer_id}/refunds"): (
        "Refund a PIX received",
        "The receiving customer gives back all or part of a transfer (within 90 days; partial refunds add "
        "up to at most the amount). Idempotent like transfers; above the step-up amount needs step-up.",
    ),
    ("GET", "/pix/transfers/{transfer_id}/refunds"): (
        "Refunds of a transfer",
        "The refunds of a transfer, for its payer or its receiver.",
    ),
    ("GET", "/notifications"): ("My notifications", "Newest first (held, released, refused transfers...)."),
    ("POST", "/notifications/{notification_id}/read"): ("Mark a notification read", "Returns it, read."),
    ("GET", "/admin/pix/holds"): (
        "Held transfers to review (admin)",
        "The transfers held by the fraud screen, oldest first, with the screen's reasons.",
    ),
    ("POST", "/pix/brcode"): (
        "Generate a BR Code (Pix Copia e Cola)",
        "A static BR Code (EMV TLV with CRC16) for one of the caller's keys, optionally with an amount.",
    ),
    ("POST", "/pix/brcode/parse"): (
        "Parse a BR Code",
        "Decodes a BR Code into its fields; a wrong CRC or TLV is a 400 naming the reason.",
    ),
    ("GET", "/documents"): ("My documents", "Statements, contracts and receipts of the caller (metadata)."),
    ("POST", "/documents"): (
        "Upload a document",
        "Multipart upload of a PDF, PNG or JPEG (checked by declared type and magic bytes; over the size "
        "cap is a 413).",
    ),
    ("GET", "/documents/{doc_id}"): (
        "A document's metadata and download link",
        "Returns the metadata and a short-lived download URL (S3 presigned, or a signed gateway link).",
    ),
    ("GET", "/documents/{doc_id}/content"): ("A document's bytes", "Streams the document to its owner."),
    ("GET", "/documents/{doc_id}/download"): (
        "Download through a signed link",
        "The target of the signed link returned by `GET /documents/{doc_id}` (local store); expires quickly.",
    ),
    ("GET", "/audit/verify"): (
        "Verify the audit chain (admin, auditor)",
        "Checks the audit store's hash chain, redaction records and how far it is anchored on Stellar; "
        "reports the unanchored tail.",
    ),
    ("GET", "/logs"): ("Search the audit events (admin, auditor)", "Filtered audit events, newest first."),
    ("GET", "/lgpd/terms"): ("Consent terms", "The current, versioned terms of each processing purpose."),
    ("GET", "/lgpd/consents"): ("My consents", "The caller's consent state per purpose."),
    ("GET", "/lgpd/consents/history"): (
        "My consent history",
        "Every grant and revocation, with term versions.",
    ),
    ("POST", "/lgpd/consents/{purpose}"): ("Grant a consent", "Grants the purpose under its current terms."),
    ("DELETE", "/lgpd/consents/{purpose}"): ("Revoke a consent", "Revokes the purpose from now on."),
    ("GET", "/lgpd/requests"): ("My data-subject requests", "With status and legal deadline."),
    ("GET", "/lgpd/requests/{request_id}"): ("One of my data-subject requests", "Status and legal deadline."),
    ("GET", "/lgpd/requests/{request_id}/export"): (
        "Download my data (ZIP)",
        "The ZIP of an access request once it is ready.",
    ),
    ("PATCH", "/lgpd/me"): ("Rectify my data", "Corrects the caller's personal data (LGPD art. 18, III)."),
    ("GET", "/admin/lgpd/requests"): ("Pending data-subject requests (admin)", "Oldest deadline first."),
    ("POST", "/admin/lgpd/requests/{request_id}/erase"): (
        "Carry out an erasure (admin)",
        "Erases the customer's personal data in the gateway and the lake (pseudonym keys) and closes the request.",
    ),
    ("POST", "/admin/lgpd/requests/{request_id}/reject"): (
        "Reject a data-subject request (admin)",
        "Rejects it with a reason the customer can read.",
    ),
    ("POST", "/chat/messages"): (
        "Ask the support assistant",
        "`{conversation_id?, text}` -> the answer (Portuguese), topic, confidence, sources and actions. "
        "With `Accept: text/event-stream` the answer streams as server-sent events (`meta`, `delta`..., "
        "`done`). The assistant never moves money or changes data.",
    ),
    ("GET", "/chat/conversations/{conversation_id}"): (
        "One of my conversations",
        "Its (masked) messages; another customer's conversation is a 404.",
    ),
    ("GET", "/chat/tickets"): ("My support tickets", "Tickets opened by a handoff to a human."),
    ("POST", "/fraud/score"): (
        "Score a proposed transaction for fraud",
        "Probability, decision (`approve`/`review`/`block`), reasons in Portuguese and the model version, "
        "from the fraud champion on Feast online features plus the request; the same path as the screen of "
        "`POST /pix/transfers`. Every answer is audited. No champion: 503 `model_unavailable`.",
    ),
    ("GET", "/suitability/me"): (
        "My credit score",
        "Score 0-1000, Serasa band, probability of default, adverse reasons in Portuguese and the model "
        "version. 404 `customer_features_not_found` when the lake has no features for the caller.",
    ),
    ("POST", "/suitability/score"): (
        "Credit score for a CPF (admin) or a what-if",
        "The same as `GET /suitability/me` for a CPF in the body (admins; a customer may pass only their "
        "own), optionally with feature `overrides` for what-if simulations.",
    ),
    ("GET", "/recommendations/me"): (
        "My product offers",
        "Eligible offers ranked by the recommender; needs the `marketing` consent, and credit offers also "
        '`credit_analysis` (else `credit_offers: "omitted"` with a notice in Portuguese).',
    ),
    ("GET", "/health"): ("Liveness", "200 while the process serves requests."),
    ("GET", "/ready"): (
        "Readiness",
        "Database, log store and object store reachable; which scoring models and fraud screen are in use.",
    ),
    ("GET", "/metrics"): ("Prometheus metrics", "Request, decision and model metrics in the text format."),
    ("GET", "/contracts/wallet"): (
        "My token wallet",
        "The caller's custodial Stellar address (its key is created on first use and never returned), the "
        "BRL token balance in integer cents and the token (asset code, issuer, contract id). Mounted only "
        "where a Soroban network is configured.",
    ),
    ("POST", "/contracts/wallet/deposit"): (
        "Tokenise money of my account",
        "Moves `amount_cents` of the checking account to the bank's token reserve (a ledger posting) and mints "
        "the same amount of BRL token to the caller's wallet; the posting commits only once minted. "
        "`Idempotency-Key` required; insufficient funds is a 422 (`Saldo insuficiente na conta corrente.`).",
    ),
    ("POST", "/contracts/escrows"): (
        "Open an escrow",
        "Opens an escrow from the caller (payer) to the customer behind `payee_pix_key`, for `amount_cents` "
        "of BRL token until `deadline` (with its offset). It holds no money until funded. "
        "`Idempotency-Key` required; contract refusals are problem+json with a Portuguese `detail`.",
    ),
    ("GET", "/contracts/escrows"): (
        "My escrows",
        "The escrows where the caller is payer or payee, read from the contract.",
    ),
    ("GET", "/contracts/escrows/{escrow_id}"): (
        "One of my escrows",
        "Its parties, amount, deadline and status (`open`, `funded`, `confirmed`, `released`, `refunded`, "
        "`disputed`, `resolved`, `cancelled`); another customer's escrow is a 404.",
    ),
    ("POST", "/contracts/escrows/{escrow_id}/fund"): (
        "Fund an escrow (payer)",
        "The payer moves the amount from their wallet into the contract, up to the deadline.",
    ),
    ("POST", "/contracts/escrows/{escrow_id}/release"): (
        "Release an escrow to the payee (payer, step-up)",
        "The payer pays a funded escrow out to the payee at once. Needs a step-up token.",
    ),
    ("POST", "/contracts/escrows/{escrow_id}/confirm"): (
        "Confirm delivery (payer)",
        "The payer confirms delivery of a funded escrow: from then on the payee may claim it.",
    ),
    ("POST", "/contracts/escrows/{escrow_id}/claim"): (
        "Claim a confirmed escrow (payee)",
        "The payee collects a confirmed escrow into their wallet.",
    ),
    ("POST", "/contracts/escrows/{escrow_id}/refund"): (
        "Refund an escrow (payer, after the deadline, step-up)",
        "After the deadline the payer takes back a funded, unconfirmed escrow. Needs a step-up token.",
    ),
    ("POST", "/contracts/escrows/{escrow_id}/dispute"): (
        "Dispute an escrow (payer or payee)",
        "Either party freezes a funded or confirmed escrow; the bank then resolves it.",
    ),
    ("POST", "/contracts/escrows/{escrow_id}/cancel"): (
        "Cancel an escrow (payer, before funding)",
        "The payer cancels an escrow that was never funded.",
    ),
    ("POST", "/contracts/escrows/{escrow_id}/resolve"): (
        "Resolve a disputed escrow (admin)",
        "The bank splits a disputed escrow: `payee_share_cents` to the payee, the rest back to the payer.",
    ),
}

# (location, name) -> description of a parameter that many operations share; a parameter described
# where it is declared keeps its own description.
PARAMETERS: dict[tuple[str, str], str] = {
    ("header", "Idempotency-Key"): (
        "a unique key per intended operation (e.g. a UUID), up to 128 characters: a retry with the same "
        "key and body replays the first answer (`Idempotent-Replayed: true`); the same key with another body "
        "is a 409 `idempotency_key_conflict`"
    ),
    ("header", "X-Device-ID"): (
        "the client device's stable id, up to 64 characters; a device not seen before for the customer is "
        "a fraud signal"
    ),
    ("path", "doc_id"): "the document's id",
    ("path", "conversation_id"): "the conversation's id (32 hex characters)",
    ("path", "escrow_id"): "the escrow's id in the contract",
}

_JSON = "application/json"
# (method, path) -> openapi_extra (request and response examples)
EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/auth/register"): {
        "requestBody": {
            "content": {
                _JSON: {
                    "example": {
                        "cpf": "529.982.247-25",
                        "name": "Maria da Silva",
                        "email": "maria@example.com",
                        "password": "uma senha longa 2026",  # nosec B105 # documentation example, not a credential
                    }
                }
            }
        }
    },
    ("POST", "/auth/login"): {
        "requestBody": {
            "content": {
                _JSON: {"example": {"email": "maria@example.com", "password": "uma senha longa 2026"}}  # nosec B105 # documentation example, not a credential
            }
        },
        "responses": {
            "200": {
                "content": {
                    _JSON: {
                        "example": {
                            "access_token": "eyJhbGciOiJFUzI1NiIsImtpZCI6IjIwMjYtMTIifQ.eyJzdWIiOiI0MiJ9.c2ln",  # nosec B105 # documentation example, not a credential
                            "token_type": "Bearer",  # nosec B105 # documentation example, not a credential
                            "expires_in": 900,
                            "refresh_token": "r0t4t1ng-0p4qu3-t0k3n",  # nosec B105 # documentation example, not a credential
                            "acr": "urn:cofre:acr:pwd",
                            "amr": ["pwd"],
                            "device_token": "d3v1c3-t0k3n",  # nosec B105 # documentation example, not a credential
                        }
                    }
                }
            }
        },
    },
    ("POST", "/auth/refresh"): {
        "requestBody": {"content": {_JSON: {"example": {"refresh_token": "r0t4t1ng-0p4qu3-t0k3n"}}}}  # nosec B105 # documentation example, not a credential
    },
    ("POST", "/pix/transfers"): {
        "requestBody": {
            "content": {
                _JSON: {"example": {"amount_cents": 12550, "key": "bob@example.com", "description": "almoço"}}
            }
        }
    },
    ("POST", "/fraud/score"): {
        "requestBody": {
            "content": {
                _JSON: {
                    "example": {
                        "amount_cents": 250000,
                        "counterparty_key": "+5511987654321",
                        "timestamp": "2026-12-03T14:30:00-03:00",
                        "channel": "PIX",
                    }
                }
            }
        },
        "responses": {
            "200": {
                "content": {
                    _JSON: {
                        "example": {
                            "probability": 0.031,
                            "decision": "approve",
                            "reasons": ["valor dentro do padrão do cliente"],
                            "model_version": "fraud/7",
                        }
                    }
                }
            }
        },
    },
    ("POST", "/suitability/score"): {
        "requestBody": {
            "content": {
                _JSON: {"example": {"cpf": "529.982.247-25", "overrides": {"monthly_income_cents": 850000}}}
            }
        }
    },
    ("POST", "/pix/keys"): {
        "requestBody": {
            "content": {
                _JSON: {
                    "examples": {
                        "email": {
                            "summary": "an e-mail key",
                            "value": {"key_type": "EMAIL", "key": "maria@example.com"},
                        },
                        "phone": {
                            "summary": "a phone key (E.164)",
                            "value": {"key_type": "PHONE", "key": "+5511987654321"},
                        },
                        "evp": {"summary": "a random key created by the bank", "value": {"key_type": "EVP"}},
                    }
                }
            }
        }
    },
    ("POST", "/admin/pix/transfers/{transfer_id}/release"): {
        "requestBody": {"content": {_JSON: {"example": {"note": "cliente confirmou o Pix por telefone"}}}}
    },
    ("POST", "/admin/pix/transfers/{transfer_id}/refuse"): {
        "requestBody": {
            "content": {_JSON: {"example": {"note": "conta de destino ligada a golpe conhecido"}}}
        }
    },
    ("POST", "/pix/transfers/{transfer_id}/refunds"): {
        "requestBody": {
            "content": {
                _JSON: {
                    "examples": {
                        "partial": {
                            "summary": "give back part of it",
                            "value": {"amount_cents": 5000, "description": "devolução parcial"},
                        },
                        "all": {"summary": "give back all that is left", "value": {}},
                    }
                }
            }
        }
    },
    ("POST", "/auth/devices"): {
        "requestBody": {
            "content": {
                _JSON: {
                    "example": {
                        "name": "Pixel 9",
                        "public_key": {
                            "kty": "EC",
                            "crv": "P-256",
                            "x": "f83OJ3D2xF1B...(base64url X)",
                            "y": "x_FEzRu9m36H...(base64url Y)",
                        },
                    }
                }
            }
        },
        "responses": {
            "201": {
                "content": {
                    _JSON: {
                        "example": {
                            "device_id": 5,
                            "thumbprint": "oKIywvGUpTVT...(base64url SHA-256)",
                        }
                    }
                }
            }
        },
    },
    ("POST", "/auth/step-up/challenge"): {
        "requestBody": {"content": {_JSON: {"example": {"device_id": 5}}}},
        "responses": {
            "200": {
                "content": {
                    _JSON: {
                        "example": {
                            "challenge_id": "c9a1f0e2",
                            "challenge": "cofre-step-up:c9a1f0e2:Q2hhbGxlbmdlTm9uY2U",
                            "expires_in": 120,
                        }
                    }
                }
            }
        },
    },
    ("POST", "/auth/step-up"): {
        "requestBody": {
            "content": {
                _JSON: {"example": {"challenge_id": "c9a1f0e2", "signature": "MEUCIQDx...base64url...AiB0"}}
            }
        }
    },
    ("POST", "/kyc/otp"): {
        "requestBody": {
            "content": {
                _JSON: {
                    "examples": {
                        "email": {"summary": "to the login's e-mail", "value": {"channel": "email"}},
                        "sms": {
                            "summary": "to a phone on record for the CPF",
                            "value": {"channel": "sms", "destination": "+5511987654321"},
                        },
                    }
                }
            }
        }
    },
    ("POST", "/kyc/otp/verify"): {
        "requestBody": {
            "content": {
                _JSON: {"example": {"challenge_id": "0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b", "code": "482913"}}
            }
        }
    },
    ("POST", "/kyc/documents"): {
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "example": {"document": "(binary: rg-frente.jpg)", "selfie": "(binary: selfie.jpg)"}
                }
            }
        }
    },
    ("POST", "/admin/deposits"): {
        "requestBody": {"content": {_JSON: {"example": {"account_id": 42, "amount_cents": 500000}}}}
    },
    ("POST", "/pix/brcode"): {
        "requestBody": {
            "content": {
                _JSON: {
                    "example": {
                        "key_id": 3,
                        "amount_cents": 12550,
                        "merchant_city": "SAO PAULO",
                        "txid": "PEDIDO12345",
                    }
                }
            }
        }
    },
    ("POST", "/pix/brcode/parse"): {
        "requestBody": {
            "content": {
                _JSON: {
                    "example": {
                        "brcode": "00020126360014br.gov.bcb.pix0114+55119876543215204000053039865406125.505802BR"
                        "5914MARIA DA SILVA6009SAO PAULO62150511PEDIDO123456304E32B"
                    }
                }
            }
        }
    },
    ("POST", "/documents"): {
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "example": {"file": "(binary: extrato-2026-11.pdf)", "kind": "statement"}
                }
            }
        }
    },
    ("POST", "/lgpd/consents/{purpose}"): {
        "requestBody": {"content": {_JSON: {"example": {"external_ref": "urn:bancoex:C1DD33123"}}}}
    },
    ("POST", "/lgpd/requests"): {"requestBody": {"content": {_JSON: {"example": {"kind": "access"}}}}},
    ("PATCH", "/lgpd/me"): {
        "requestBody": {
            "content": {
                _JSON: {"example": {"email": "maria.souza@example.com", "phone": "+55 11 98765-4321"}}
            }
        }
    },
    ("POST", "/admin/lgpd/requests/{request_id}/reject"): {
        "requestBody": {
            "content": {
                _JSON: {
                    "example": {
                        "reason": "Existe obrigação legal de guarda dos dados de transações por 5 anos (Lei 9.613/98)."
                    }
                }
            }
        }
    },
    ("POST", "/chat/messages"): {
        "requestBody": {
            "content": {
                _JSON: {
                    "examples": {
                        "new": {
                            "summary": "start a conversation",
                            "value": {"text": "Como pego o comprovante do pix?"},
                        },
                        "follow-up": {
                            "summary": "continue one",
                            "value": {
                                "conversation_id": "c0ffee00c0ffee00c0ffee00c0ffee00",
                                "text": "E se o pix ainda estiver em análise?",
                            },
                        },
                    }
                }
            }
        }
    },
    ("POST", "/contracts/wallet/deposit"): {
        "requestBody": {"content": {_JSON: {"example": {"amount_cents": 150000}}}}
    },
    ("POST", "/contracts/escrows"): {
        "requestBody": {
            "content": {
                _JSON: {
                    "example": {
                        "payee_pix_key": "bob@example.com",
                        "amount_cents": 150000,
                        "deadline": "2026-12-31T23:59:00-03:00",
                    }
                }
            }
        }
    },
    ("POST", "/contracts/escrows/{escrow_id}/resolve"): {
        "requestBody": {"content": {_JSON: {"example": {"payee_share_cents": 75000}}}}
    },
}


def describe_parameters(spec: dict[str, Any]) -> None:
    """Give the shared parameters of :data:`PARAMETERS` their description where none was declared."""
    for item in spec.get("paths", {}).values():
        for op in item.values():
            for param in op.get("parameters", []):
                text = PARAMETERS.get((param.get("in", ""), param.get("name", "")))
                if text and not param.get("description"):
                    param["description"] = text


def apply(app: FastAPI, routes: Sequence[BaseRoute]) -> None:
    """Fill summaries, descriptions and examples of ``routes`` (the included routers' own routes: the
    app's effective routes are built from them), and the auth flow of the API."""
    app.description = AUTH_FLOW
    for route in routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in sorted(route.methods or ()):
            key = (method, route.path)
            if key in OPERATIONS:
                summary, description = OPERATIONS[key]
                route.summary = route.summary or summary
                route.description = route.description or description
            if key in EXAMPLES:
                route.openapi_extra = {**EXAMPLES[key], **(route.openapi_extra or {})}
