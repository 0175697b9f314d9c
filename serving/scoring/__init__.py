"""Model scoring for the gateway: champions loaded once at start-up, online features, the model fraud screen."""
