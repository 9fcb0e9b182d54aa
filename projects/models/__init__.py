from projects.models.accounts import UserSession
from projects.models.availability import ModelAvailability
from projects.models.credits import AuditEntry, Budget, LedgerEntry, PriceVersion, SoftLimitWarning
from projects.models.generation import (
    DispatchGate,
    Generation,
    GenerationReference,
    KinoviAlert,
)
from projects.models.library import *  # noqa: F403
from projects.models.operations import DispatchRefusal, WorkerHeartbeat
from projects.models.outbox import MailPreference, OutboxMail, VideoDoneNotice
from projects.models.project import Project
from projects.models.review import (
    Comment,
    ProjectShare,
    ReviewLink,
    Verdict,
    VerdictRecord,
)
from projects.models.teams import Invitation, Membership, Team
from projects.models.uploads import KinoviUpload

__all__ = [
    "AuditEntry",
    "Budget",
    "Comment",
    "DispatchGate",
    "DispatchRefusal",
    "Generation",
    "GenerationReference",
    "Invitation",
    "KinoviAlert",
    "KinoviUpload",
    "LedgerEntry",
    "MailPreference",
    "Membership",
    "ModelAvailability",
    "OutboxMail",
    "PriceVersion",
    "Project",
    "ProjectShare",
    "ReviewLink",
    "SoftLimitWarning",
    "Team",
    "UserSession",
    "Verdict",
    "VerdictRecord",
    "VideoDoneNotice",
    "WorkerHeartbeat",
]
