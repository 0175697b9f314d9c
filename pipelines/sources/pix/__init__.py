"""BACEN API Pix subset (cob, received Pix, webhooks): sandbox and client."""
