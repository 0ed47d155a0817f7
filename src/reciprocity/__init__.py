"""reciprocity: loyalty programs as composable, testable, explainable policy.

Everything public is importable from here; the submodules are implementation detail.

>>> import reciprocity
>>> reciprocity.seed_program().name
'Seed program'

Imports: every public name, from the module that defines it; nothing in the package imports this
module.
"""

from __future__ import annotations

from importlib import metadata as _metadata

from ._bounds import (
    EARLIEST_INSTANT,
    LATEST_INSTANT,
    MAX_AMOUNT,
    MAX_FACTOR,
    MAX_HORIZON_DAYS,
    MAX_HORIZON_MONTHS,
    MAX_ID_LENGTH,
    MAX_POINTS,
    MAX_QUANTITY,
    PRICE_EXTRA_PLACES,
)
from .benefits import TierBenefits
from .conditions import (
    AllOf,
    Always,
    AmountOver,
    AnyOf,
    ChannelIs,
    Condition,
    During,
    Elapsed,
    FactIs,
    HasConsent,
    HasFact,
    InCategory,
    InTier,
    LineFact,
    Not,
    PurchaseCountAtLeast,
    all_of,
    any_of,
    not_,
)
from .credit.periodic import PeriodicReward
from .credit.scheme import StoreCredit
from .datasets import (
    OnlineRetail,
    OnlineRetailReport,
    UnmatchedCancellation,
    load_online_retail,
)
from .effects import (
    CreditExpired,
    CreditIssued,
    CreditSpent,
    Decision,
    Effect,
    GiftGranted,
    GiftRevoked,
    GoodwillDeclined,
    GoodwillGranted,
    GoodwillPending,
    MessageSuggested,
    PointsEarned,
    PointsExpired,
    PointsRedeemed,
    PointsReleased,
    PointsRevoked,
    TierChanged,
    TierGraceStarted,
    TraceEntry,
    VoucherCancelled,
    VoucherIssued,
)
from .errors import (
    BelowMinimumBalance,
    ConditionNeverApplies,
    CurrencyMismatch,
    EventConflict,
    EventTooOld,
    FactTypeMismatch,
    InsufficientCredit,
    InsufficientPoints,
    InvalidEvent,
    InvalidFact,
    InvalidProgram,
    InvalidState,
    MissingDependency,
    NaiveDatetime,
    NotAwaitingApproval,
    OrderFolded,
    PointsOutOfBounds,
    ReciprocityError,
    RefusedEvent,
    ReturnExceedsPurchase,
    ReturnMismatch,
    UnknownCategory,
    UnknownFact,
    UnknownLocale,
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
from .experiments.columns import LoadedOrders, LoadReport, OrderColumns
from .experiments.compare import Comparison, compare
from .experiments.people import (
    ComplaintColumns,
    LoadedEvents,
    RowReport,
    SignUpColumns,
    load_complaints,
    load_signups,
)
from .experiments.plots import plot_comparison, plot_cost_by_family, plot_liability, plot_tier_mix
from .experiments.redemption import RedemptionModel
from .experiments.simulate import Simulation, simulate
from .experiments.sources import load_orders
from .facts import Fact
from .gifts.eligibility import GiftNeed, GiftOption, gift_eligibility
from .gifts.gift import CategorySample, FeedbackRequest, Gift, Stock
from .gifts.order_rules import (
    CategoryGift,
    ClaimGift,
    FirstOrderGift,
    NthOrderGift,
    OrderOverGift,
    SurpriseGift,
)
from .gifts.scheme import (
    AnniversaryGift,
    BirthdayGift,
    DriftRule,
    GiftRule,
    GiftScheme,
    SeasonalGift,
    ThankYouGift,
    TierGift,
    WelcomeGift,
)
from .goodwill.compensation import (
    Compensation,
    CreditCompensation,
    GiftCompensation,
    PointsCompensation,
    RefundShare,
    VoucherCompensation,
)
from .goodwill.policy import (
    Diminishing,
    GoodwillPolicy,
    GoodwillRule,
    LateResponseStep,
    ResponseTime,
)
from .goodwill.tables import Band, BandTable, Range, Reduction
from .history import History
from .limits import Budget, Cap, Period
from .money import Money, Rounding, currency_exponent
from .names import NameLabels
from .points.balances import BalanceTotals
from .points.rules import (
    CampaignMultiplier,
    CategoryMultiplier,
    EarnRule,
    EventRule,
    Multiplier,
    PointsCap,
    PointsForEvent,
    PointsPerAmount,
    PointsPerPurchase,
    TierMultiplier,
)
from .points.scheme import (
    CalendarCutoff,
    EndOfMonthAfter,
    EndOfQuarterAfter,
    Expiry,
    FixedLifetime,
    Inactivity,
    PointsAsCurrency,
    PointScheme,
    Reward,
    RewardItem,
    Validity,
)
from .points.units import UnitWords
from .program import Program, program_json_schema
from .replay import Replay, ReplaySummary
from .seed import seed_program
from .shared import BudgetUse, SharedState
from .state import (
    ComplaintRecord,
    FoldedOrders,
    FoldedTierPeriod,
    GiftGrant,
    GiftHistory,
    GoodwillGrant,
    GoodwillHistory,
    MemberState,
    PendingGoodwill,
    PointBalance,
    PointLot,
    PurchaseRecord,
    RecordLine,
    TierStatus,
    Voucher,
)
from .synthetic import SyntheticShop, synthetic_purchases, synthetic_shop
from .terms.statement import Statement
from .tiers.check import Finding, TypicalActivity, check_ladder, tier_progress
from .tiers.ladder import (
    CalendarYear,
    Downgrade,
    Lifetime,
    MembershipYear,
    MetricGap,
    MetricValue,
    MonthsFromQualifying,
    NoExpiry,
    QualificationPeriod,
    RestOfPeriodAndNext,
    RollingMonths,
    Tier,
    TierLadder,
    TierProgress,
    TierValidity,
    UntilEndOfMonth,
)
from .tiers.requirements import (
    MinOrders,
    MinPoints,
    MinSpend,
    RequireAll,
    RequireAny,
    Requirement,
    require_all,
    require_any,
)

try:
    __version__ = _metadata.version("reciprocity")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [  # noqa: RUF022 (sorted as sorted() sorts; tests/test_public_api.py checks it)
    "AllOf", "Always", "AmountOver", "AnniversaryGift", "AnyOf", "Approval", "BalanceTotals",
    "Band", "BandTable",
    "BelowMinimumBalance", "BirthdayGift", "Budget", "BudgetUse", "CalendarCutoff", "CalendarYear",
    "CampaignMultiplier", "Cap", "CategoryGift", "CategoryMultiplier", "CategorySample",
    "ChannelIs", "ClaimGift", "Comparison", "Compensation", "Complaint", "ComplaintCategory",
    "ComplaintColumns", "ComplaintRecord", "Condition", "ConditionNeverApplies",
    "CreditCompensation", "CreditExpired", "CreditIssued", "CreditSpent", "CurrencyMismatch",
    "Custom", "Decision", "Diminishing", "Downgrade", "DriftRule", "During", "EARLIEST_INSTANT",
    "EarnRule", "Effect", "Elapsed", "EndOfMonthAfter", "EndOfQuarterAfter", "Event",
    "EventConflict", "EventRule", "EventTooOld", "Expiry", "Fact", "FactIs", "FactTypeMismatch",
    "FeedbackRequest", "Finding", "FirstOrderGift", "FixedLifetime", "FoldedOrders",
    "FoldedTierPeriod", "Gift",
    "GiftCompensation", "GiftGrant", "GiftGranted", "GiftHistory", "GiftNeed", "GiftOption",
    "GiftRevoked", "GiftRule", "GiftScheme", "GoodwillDeclined", "GoodwillGrant",
    "GoodwillGranted", "GoodwillHistory", "GoodwillPending", "GoodwillPolicy", "GoodwillRule",
    "HasConsent", "HasFact", "History", "InCategory", "InTier", "Inactivity", "InsufficientCredit",
    "InsufficientPoints", "InvalidEvent", "InvalidFact", "InvalidProgram", "InvalidState",
    "LATEST_INSTANT", "LateResponseStep", "Lifetime", "Line", "LineFact", "LoadReport",
    "LoadedEvents", "LoadedOrders", "MAX_AMOUNT", "MAX_FACTOR", "MAX_HORIZON_DAYS",
    "MAX_HORIZON_MONTHS", "MAX_ID_LENGTH", "MAX_POINTS", "MAX_QUANTITY", "MemberState",
    "MembershipYear", "MessageSuggested", "MetricGap", "MetricValue", "MinOrders", "MinPoints",
    "MinSpend", "MissingDependency", "Money", "MonthsFromQualifying", "Multiplier",
    "NaiveDatetime", "NameLabels", "NoExpiry", "Not", "NotAwaitingApproval", "NthOrderGift",
    "OnlineRetail",
    "OnlineRetailReport", "OrderColumns", "OrderFolded", "OrderOverGift", "PRICE_EXTRA_PLACES",
    "PendingGoodwill", "Period", "PeriodicReward", "PointBalance", "PointLot", "PointScheme",
    "PointsAsCurrency", "PointsCap",
    "PointsCompensation", "PointsEarned", "PointsExpired", "PointsForEvent", "PointsOutOfBounds",
    "PointsPerAmount", "PointsPerPurchase", "PointsRedeemed", "PointsReleased", "PointsRevoked",
    "ProfileUpdate", "Program", "Purchase", "PurchaseColumns", "PurchaseCountAtLeast",
    "PurchaseRecord", "QualificationPeriod", "Range", "ReciprocityError", "RecordLine",
    "Redemption", "RedemptionModel", "Reduction", "RefundShare", "RefusedEvent", "Replay",
    "ReplaySummary", "RequireAll", "RequireAny", "Requirement", "ResponseTime",
    "RestOfPeriodAndNext", "Return", "ReturnExceedsPurchase", "ReturnMismatch", "ReturnedLine",
    "Reward", "RewardItem", "RollingMonths", "Rounding", "RowReport", "SeasonalGift",
    "SharedState", "SignUp", "SignUpColumns", "Simulation", "Statement", "Stock", "StoreCredit",
    "SurpriseGift", "SyntheticShop", "ThankYouGift", "Tier", "TierBenefits", "TierChanged",
    "TierGift", "TierGraceStarted", "TierLadder", "TierMultiplier", "TierProgress", "TierStatus",
    "TierValidity", "TraceEntry", "TypicalActivity", "UnitWords", "UnknownCategory",
    "UnknownFact", "UnknownLocale", "UnknownPurchase", "UnknownReward", "UnmatchedCancellation",
    "UntilEndOfMonth", "Validity", "Voucher", "VoucherCancelled", "VoucherCompensation",
    "VoucherIssued", "WelcomeGift", "__version__", "all_of", "any_of", "check_ladder", "compare",
    "currency_exponent", "gift_eligibility", "load_complaints", "load_online_retail",
    "load_orders", "load_signups", "not_", "parse_event", "parse_events", "plot_comparison",
    "plot_cost_by_family", "plot_liability", "plot_tier_mix", "program_json_schema", "require_all",
    "require_any", "seed_program", "simulate", "synthetic_purchases", "synthetic_shop",
    "tier_progress",
]

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and _obj.__module__.startswith("reciprocity."):
        _obj.__module__ = "reciprocity"
del _name, _obj
