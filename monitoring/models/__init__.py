"""The product's models, one module per concern; import them from here."""

from monitoring.models.answers import Answer, Citation, Mention
from monitoring.models.brands import Brand, BrandAlias, BrandDomain, BrandKind
from monitoring.models.prices import ModelPrice
from monitoring.models.prompts import Prompt, PromptVersion, Tag
from monitoring.models.requests import (
    ENGINE_CHOICES,
    LlmModel,
    ModelRefresh,
    Monitor,
    MonitorRun,
    Schedule,
)
from monitoring.models.summaries import (
    SUMMARY_MODELS,
    AnswerSummary,
    BrandSummary,
    DomainSummary,
    PairSummary,
    SummaryStale,
    TaskSummary,
    TermKind,
    TermSummary,
    WorkspaceVersion,
)
from monitoring.models.tasks import (
    FINAL_STATUSES,
    ApiCall,
    PipelineHalt,
    RateWindow,
    Task,
    TaskEvent,
    TaskMode,
    TaskStatus,
)
from monitoring.models.workspaces import (
    Heartbeat,
    Invitation,
    InvitationStatus,
    Membership,
    Role,
    Workspace,
)

__all__ = [
    "SUMMARY_MODELS",
    "AnswerSummary",
    "BrandSummary",
    "DomainSummary",
    "PairSummary",
    "SummaryStale",
    "TaskSummary",
    "TermKind",
    "TermSummary",
    "WorkspaceVersion",
    "ENGINE_CHOICES",
    "FINAL_STATUSES",
    "Answer",
    "ApiCall",
    "Citation",
    "PipelineHalt",
    "RateWindow",
    "MonitorRun",
    "Brand",
    "BrandAlias",
    "BrandDomain",
    "BrandKind",
    "Heartbeat",
    "Invitation",
    "InvitationStatus",
    "LlmModel",
    "Membership",
    "Mention",
    "ModelPrice",
    "ModelRefresh",
    "Monitor",
    "Prompt",
    "PromptVersion",
    "Role",
    "Schedule",
    "Tag",
    "Task",
    "TaskEvent",
    "TaskMode",
    "TaskStatus",
    "Workspace",
]
