from shared.migrations_env import run
from services.rewards_api.config import Settings
from services.rewards_api.db import metadata
import services.rewards_api.models  # noqa: F401  (registers every table on the metadata)

run(metadata, Settings())
