from shared.errors import Conflict, NotFound


class ItemNotFound(NotFound):
    problem, title = "item-not-found", "Reward item not found"


class ItemKindImmutable(Conflict):
    problem, title = "item-kind-immutable", "An item's kind cannot change"


class EmptyActiveWindow(Conflict):
    problem, title = "empty-active-window", "active_until must be after active_from"


class StockBelowCommitted(Conflict):
    problem, title = "stock-below-committed", "Stock cannot be set below units already redeemed"
