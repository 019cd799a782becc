from shared.errors import Conflict, NotFound


class RuleSetNotFound(NotFound):
    problem, title = "rule-set-not-found", "Rule set version not found"


class UnknownRuleSet(Conflict):
    problem, title = "unknown-rule-set", "The referenced rule set version does not exist"


class NoActiveRuleSet(NotFound):
    problem, title = "no-active-rule-set", "No rule set is in effect at that time"


class RuleSetPublished(Conflict):
    problem, title = "rule-set-published", "A published rule set cannot change"


class RuleSetInvalid(Conflict):
    problem, title = "rule-set-invalid", "The rule set has problems; fix them before publishing"


class EffectiveInPast(Conflict):
    problem, title = "effective-at-in-past", "A rule set cannot take effect in the past"


class NoConfirmerRule(NotFound):
    problem, title = "no-confirmer-rule", "No rule lets a confirmer choose the points here"


class EmployeeUnknown(NotFound):
    problem, title = "employee-not-found", "points_api has no copy of this employee yet"
