"""PIX domain (BACEN API Pix): Pix received by the bank's customers (bronze -> silver)."""
