"""Fraud screening of transfers: the FraudScreen protocol, the rules-based screen, context building."""

from serving.fraud.screen import Decision, FraudScreen, RulesFraudScreen, TransferContext

__all__ = ["Decision", "FraudScreen", "RulesFraudScreen", "TransferContext"]
