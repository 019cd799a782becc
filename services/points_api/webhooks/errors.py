from shared.errors import Conflict, FieldError, NotFound, ServiceError


class SubscriptionNotFound(NotFound):
    problem, title = "webhook-subscription-not-found", "Webhook subscription not found"


class SubscriptionDeleted(Conflict):
    problem, title = "webhook-subscription-deleted", "The webhook subscription was deleted"


class SubscriptionInactive(Conflict):
    problem, title = "webhook-subscription-inactive", "The webhook subscription is not active"


class DeliveryNotFound(NotFound):
    problem, title = "webhook-delivery-not-found", "Webhook delivery not found"


class DeliveryInFlight(Conflict):
    problem, title = "webhook-delivery-in-flight", "The delivery is being attempted right now"


class UnknownEventType(ValueError):
    """A publisher named an event type that is not in the catalogue (a programming
    error, so that a typo cannot silently reach nobody)."""


class WebhookTargetForbidden(ServiceError):
    """403, not 422: the URL is well-formed (the schema's pattern says what a URL must
    look like); where it leads, judged at run time against the network and the
    allow-list, is what the policy refuses."""

    status, problem, title = 403, "webhook-target-forbidden", "Webhooks cannot go to this address"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, errors=[FieldError(pointer="#/url", detail=detail)])


class WebhookTargetUnresolvable(WebhookTargetForbidden):
    problem, title = "webhook-target-unresolvable", "The webhook URL's host does not resolve"
