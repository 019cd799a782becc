from shared.errors import Conflict, Forbidden, NotFound


class RedemptionNotFound(NotFound):
    problem, title = "redemption-not-found", "Redemption not found"


class ItemNotAvailable(Conflict):
    problem, title = "item-not-available", "The item cannot be redeemed now"


class NotEligible(Conflict):
    problem, title = "not-eligible", "The employee may not redeem this item"


class OutOfStock(Conflict):
    problem, title = "out-of-stock", "Not enough stock left"


class LimitReached(Conflict):
    problem, title = "limit-reached", "The employee's limit for this period is reached"


class QuantityNotAllowed(Conflict):
    problem, title = "quantity-not-allowed", "This item is redeemed one unit at a time"


class NotYourRedemption(Forbidden):
    problem, title = "not-your-redemption", "Only the employee or HR may do this"


class SelfApproval(Forbidden):
    problem, title = "self-approval", "Nobody approves their own redemption"


class NotApprover(Forbidden):
    problem, title = "not-approver", "Only the employee's manager or HR approves"


class RedemptionNotPending(Conflict):
    problem, title = "redemption-not-pending", "The redemption is not waiting for approval"


class ApprovalWindowClosed(Conflict):
    problem, title = "approval-window-closed", "The redemption's hold is about to expire"
