"""cofre: the command-line entry point that composes lake, pipelines, features, models and serving."""
