"""reciprocity: loyalty programs as composable, testable, explainable policy.

Everything public is importable from here; the submodules are implementation detail.

>>> import reciprocity
>>> reciprocity.seed_program().name
'Seed program'
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .conditions import (
    AllOf,
    Always,
    AmountOver,
    AnyOf,
    ChannelIs,
    Condition,
    During,
    HasConsent,
    InCategory,
    InTier,
    Not,
    PurchaseCountAtLeast,
    all_of,
    any_of,
    not_,
)
from .effects import (
    Decision,
    Effect,
    PointsEarned,
    PointsExpired,
    PointsRedeemed,
    PointsReleased,
    PointsRevoked,
    TraceEntry,
    VoucherIssued,
)
from .errors import (
    CurrencyMismatch,
    InsufficientPoints,
    InvalidEvent,
    InvalidProgram,
    MissingDependency,
    NaiveDatetime,
    ReciprocityError,
    RefusedEvent,
    ReturnExceedsPurchase,
    UnknownPurchase,
    UnknownReward,
)
from .events import (
    Approval,
    Complaint,
    ComplaintCategory,
    Custom,
    Event,
    Line,
    ProfileUpdate,
    Purchase,
    PurchaseColumns,
    Redemption,
    Return,
    ReturnedLine,
    SignUp,
    parse_event,
    parse_events,
)
from .money import Money, Rounding, currency_exponent
from .policies.limits import Budget, Cap, Period
from .policies.points import EarnRule, FixedLifetime, PointScheme, PointsPerPurchase, Reward
from .program import Program, program_json_schema
from .replay import Replay, ReplaySummary
from .seed import seed_program
from .shared import BudgetUse, SharedState
from .state import MemberState, PointLot, PurchaseRecord, Voucher
from .synthetic import SyntheticShop, synthetic_purchases, synthetic_shop

try:
    __version__ = version("reciprocity")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AllOf",
    "Always",
    "AmountOver",
    "AnyOf",
    "Approval",
    "Budget",
    "BudgetUse",
    "Cap",
    "ChannelIs",
    "Complaint",
    "ComplaintCategory",
    "Condition",
    "CurrencyMismatch",
    "Custom",
    "Decision",
    "During",
    "EarnRule",
    "Effect",
    "Event",
    "FixedLifetime",
    "HasConsent",
    "InCategory",
    "InTier",
    "InsufficientPoints",
    "InvalidEvent",
    "InvalidProgram",
    "Line",
    "MemberState",
    "MissingDependency",
    "Money",
    "NaiveDatetime",
    "Not",
    "Period",
    "PointLot",
    "PointScheme",
    "PointsEarned",
    "PointsExpired",
    "PointsPerPurchase",
    "PointsRedeemed",
    "PointsReleased",
    "PointsRevoked",
    "ProfileUpdate",
    "Program",
    "Purchase",
    "PurchaseColumns",
    "PurchaseCountAtLeast",
    "PurchaseRecord",
    "ReciprocityError",
    "Redemption",
    "RefusedEvent",
    "Replay",
    "ReplaySummary",
    "Return",
    "ReturnExceedsPurchase",
    "ReturnedLine",
    "Reward",
    "Rounding",
    "SharedState",
    "SignUp",
    "SyntheticShop",
    "TraceEntry",
    "UnknownPurchase",
    "UnknownReward",
    "Voucher",
    "VoucherIssued",
    "__version__",
    "all_of",
    "any_of",
    "currency_exponent",
    "not_",
    "parse_event",
    "parse_events",
    "program_json_schema",
    "seed_program",
    "synthetic_purchases",
    "synthetic_shop",
]

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and _obj.__module__.startswith("reciprocity."):
        _obj.__module__ = "reciprocity"
del _name, _obj
