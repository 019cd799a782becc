"""Problems more than one part of rewards_api answers."""

from shared.errors import Conflict, DependencyUnavailable, NotFound


class EmployeeNotFound(NotFound):
    problem, title = "employee-not-found", "Employee not known to the rewards mall"


class InsufficientPoints(Conflict):
    problem, title = "insufficient-points", "Not enough points"


class PointsUnavailable(DependencyUnavailable):
    problem, title = "points-unavailable", "points_api is unavailable; nothing was reserved"

    def __init__(self, detail: str | None = None, *, maybe_created: bool = False,
                 retry_after: int = 5, **extra: object) -> None:
        super().__init__(detail, retry_after=retry_after, **extra)
        # True when a hold request may have reached points_api before the failure
        self.maybe_created = maybe_created
