from shared.errors import Conflict, ServiceError


class NotAVoucherItem(Conflict):
    problem, title = "not-a-voucher-item", "Codes can only be imported for voucher items"


class VoucherImportTooLarge(ServiceError):
    status, problem, title = 413, "voucher-import-too-large", "Too many voucher codes at once"

