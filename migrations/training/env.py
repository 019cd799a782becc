from shared.migrations_env import run
from services.training_api.config import Settings
from services.training_api.db import metadata
import services.training_api.models  # noqa: F401  (registers every table on the metadata)

run(metadata, Settings())
