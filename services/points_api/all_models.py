"""Every table of points_api, for alembic (its env.py imports this module) and
anything else that needs the whole schema on the metadata. Nothing in the service
imports it: each domain keeps its tables next to its code and imports only what it
references, so the model modules form no import cycle."""

import services.points_api.honours.models  # noqa: F401
import services.points_api.incentives.models  # noqa: F401
import services.points_api.leaderboards.models  # noqa: F401
import services.points_api.milestones.models  # noqa: F401
import services.points_api.mix.models  # noqa: F401
import services.points_api.models  # noqa: F401
import services.points_api.notifications.models  # noqa: F401
import services.points_api.webhooks.models  # noqa: F401
import services.points_api.whatif.models  # noqa: F401
