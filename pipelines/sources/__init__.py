"""External systems as the product reaches them: for each, a client that speaks the real protocol
(configurable base URL, OAuth, retries, pagination). Their sandbox servers and the world simulator
live in the top-level ``sandbox`` package; see pipelines.sources.in_process."""
