from shared.errors import NotFound


class ScopeValueRequired(NotFound):
    """scope=department or family without scope_value means the caller's own; a caller
    who has none (HR, an integration) names no board."""

    problem, title = "scope-value-required", "No board: name the department or family"


class NotInScope(NotFound):
    """Not a malformed request: the rank asked for does not exist on that board."""

    problem, title = "not-in-scope", "The employee is not on this board"
