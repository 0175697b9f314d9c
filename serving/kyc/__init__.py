"""Identity proofing (KYC): a login proves that it owns the CPF it claims before it sees any data the
bank holds about that CPF (score, lake rows, exports, erasure). Proof is a one-time code sent to a
contact on record for the CPF, or a selfie matched against the CPF holder's reference photo."""
