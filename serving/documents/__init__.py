"""Document storage: one DocumentStore interface (local folder or S3 via minio) and content checks."""
