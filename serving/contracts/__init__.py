"""Soroban smart contracts behind the gateway: custodial keys, the escrow/token service over the
Soroban RPC client (lake.soroban_rpc), and the translation of contract errors into problems."""
