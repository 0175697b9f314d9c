"""Recommendations: CVM 30 suitability, product catalogue, eligibility hard filter, learnt ranking."""
