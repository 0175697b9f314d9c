"""The BACEN API Pix sandbox: charges, locations, received Pix and refunds, webhooks over a world."""
