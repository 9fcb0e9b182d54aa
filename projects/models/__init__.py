from projects.models.credits import AuditEntry, Budget, LedgerEntry, PriceVersion, SoftLimitWarning
from projects.models.generation import (
    DispatchGate,
    Generation,
    GenerationReference,
    KinoviAlert,
)
from projects.models.library import *  # noqa: F403
from projects.models.operations import DispatchRefusal, WorkerHeartbeat
from projects.models.project import Project
from projects.models.teams import Membership, Team

__all__ = [
    "AuditEntry",
    "Budget",
    "DispatchGate",
    "DispatchRefusal",
    "Generation",
    "GenerationReference",
    "KinoviAlert",
    "LedgerEntry",
    "Membership",
    "PriceVersion",
    "Project",
    "SoftLimitWarning",
    "Team",
    "WorkerHeartbeat",
]
