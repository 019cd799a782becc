import services.training_api.all_models  # noqa: F401  (registers every table on the metadata)
from services.training_api.config import Settings
from services.training_api.db import metadata
from shared.migrations_env import run

run(metadata, Settings.migration_database_url())
