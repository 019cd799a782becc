"""Every table of training_api, for alembic (its env.py imports this module) and
anything else that needs the whole schema on the metadata. Nothing in the service
imports it: each domain keeps its tables next to its code and imports only what it
references, so the model modules form no import cycle."""

import services.training_api.attrition.models  # noqa: F401
import services.training_api.changes.models  # noqa: F401
import services.training_api.courses.models  # noqa: F401
import services.training_api.facts.models  # noqa: F401
import services.training_api.feedback.models  # noqa: F401
import services.training_api.history.models  # noqa: F401
import services.training_api.kpis.models  # noqa: F401
import services.training_api.models  # noqa: F401
import services.training_api.plans.models  # noqa: F401
import services.training_api.recommendations.models  # noqa: F401
import services.training_api.reports.models  # noqa: F401
import services.training_api.surveys.models  # noqa: F401
