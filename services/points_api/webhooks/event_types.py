"""The event types webhook subscribers can ask for."""

from __future__ import annotations

ANY = "*"
PING = "webhook.ping"

POINTS_AWARDED = "points.awarded"
CERTIFICATION_GRANTED = "certification.granted"
CERTIFICATION_REVOKED = "certification.revoked"
ELIGIBILITY_REACHED = "eligibility.reached"
HONOUR_AWARDED = "honour.awarded"
LEAVE_GRANTED = "leave.granted"
SUBSIDY_GRANTED = "subsidy.granted"
VOUCHER_ISSUED = "voucher.issued"
REDEMPTION_FULFILLED = "redemption.fulfilled"
ATTRITION_DIGEST = "attrition_risk.digest"

# type -> (producing service, description)
EVENT_TYPES: dict[str, tuple[str, str]] = {
    POINTS_AWARDED: ("points", "Points were earned, adjusted or reversed for an employee"),
    CERTIFICATION_GRANTED: ("points", "An employee crossed a certification's threshold; "
                                      "carries the salary raise for payroll"),
    CERTIFICATION_REVOKED: ("points", "HR revoked a certification, with a reason"),
    ELIGIBILITY_REACHED: ("points", "An employee became eligible for promotion to a position"),
    HONOUR_AWARDED: ("points", "Monthly TOP 10 or 年度优秀员工 honour awarded"),
    LEAVE_GRANTED: ("rewards", "A paid-leave redemption was fulfilled (for attendance)"),
    SUBSIDY_GRANTED: ("rewards", "A certification subsidy was granted (for payroll)"),
    VOUCHER_ISSUED: ("rewards", "A voucher code was issued to an employee"),
    REDEMPTION_FULFILLED: ("rewards", "A redemption was fulfilled"),
    ATTRITION_DIGEST: ("training", "A department's weekly digest of newly high-risk employees "
                                   "(attrition early warning); delivered only to subscriptions "
                                   "that name it"),
}
# sent only to subscriptions that name them, never to "*": they name employees at risk
EXPLICIT_ONLY = frozenset({ATTRITION_DIGEST})

# published by other services, forwarded here through /points/v1/internal/events
FORWARDED_EVENT_TYPES = tuple(t for t, (source, _) in EVENT_TYPES.items()
                              if source not in ("points", "training"))
