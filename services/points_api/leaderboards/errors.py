from shared.errors import InvalidRequest


class ScopeValueRequired(InvalidRequest):
    problem, title = "scope-value-required", "This scope needs a scope_value"


class NotInScope(InvalidRequest):
    problem, title = "not-in-scope", "The employee is not on this board"
