from shared.migrations_env import run
from services.points_api.config import Settings
from services.points_api.db import metadata
import services.points_api.models  # noqa: F401  (registers every table on the metadata)

run(metadata, Settings())
