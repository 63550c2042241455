import json

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.html import format_html

from monitoring.aisa.redaction import task_body_redacted
from monitoring.forms.admin import (
    BrandAdminForm,
    BrandAliasAdminForm,
    BrandAliasFormSet,
    BrandDomainAdminForm,
    BrandDomainFormSet,
    MonitorAdminForm,
    PromptAdminForm,
)
from monitoring.forms.admin_input import CheckedInputAdmin
from monitoring.models import (
    Answer,
    ApiCall,
    Brand,
    BrandAlias,
    BrandDomain,
    Citation,
    Heartbeat,
    Invitation,
    LlmModel,
    Membership,
    Mention,
    ModelPrice,
    ModelRefresh,
    Monitor,
    MonitorRun,
    PipelineHalt,
    Prompt,
    PromptVersion,
    Tag,
    Task,
    TaskEvent,
    Workspace,
)
from monitoring.services import admin_actions
from monitoring.services import brands as brand_services


class ModelAdmin(CheckedInputAdmin, admin.ModelAdmin):
    """Lists, forms and actions that refuse what the database cannot hold (a 500 else)."""


class ReadOnlyInline(admin.TabularInline):
    """Rows shown beside their parent and never edited there (history, analysis results).

    No adding, no deleting, and every field a subclass lists in ``fields`` is read-only.
    """

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [*self.fields] if self.fields else super().get_readonly_fields(request, obj)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(ModelAdmin):
    list_display = ["name", "slug", "member_count", "monthly_budget_usd", "created_at"]
    search_fields = ["name", "slug", "memberships__user__username"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at"]
    fields = ["name", "slug", "monthly_budget_usd", "created_at"]
    inlines = [MembershipInline]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("memberships"))

    @admin.display(description="Members", ordering="_member_count")
    def member_count(self, obj) -> int:
        return obj._member_count


@admin.register(Membership)
class MembershipAdmin(ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["user__username", "user__email", "workspace__name"]
    list_select_related = ["user", "workspace"]
    autocomplete_fields = ["user", "workspace"]


@admin.register(Heartbeat)
class HeartbeatAdmin(ModelAdmin):
    list_display = ["name", "seen_at"]
    readonly_fields = ["name", "seen_at"]


# --- Request builder: model catalogue, monitors, tasks ------------------------------------


@admin.register(LlmModel)
class LlmModelAdmin(ModelAdmin):
    list_display = [
        "model_name",
        "family",
        "web_search_supported",
        "reasoning",
        "is_available",
        "refreshed_at",
    ]
    list_filter = ["family", "is_available", "web_search_supported", "reasoning"]
    search_fields = ["model_name"]
    # The API owns these; a refresh would overwrite hand edits.
    readonly_fields = [
        "family",
        "model_name",
        "web_search_supported",
        "task_post_supported",
        "reasoning",
        "refreshed_at",
    ]


@admin.register(ModelPrice)
class ModelPriceAdmin(ModelAdmin):
    """The prices a task's worst case is reserved at; edit them when the provider's change."""

    list_display = [
        "model_prefix",
        "family",
        "input_per_million",
        "output_per_million",
        "web_search_fee",
        "source",
        "updated_at",
    ]
    list_filter = ["family"]
    search_fields = ["model_prefix", "source"]
    readonly_fields = ["updated_at"]


@admin.register(ModelRefresh)
class ModelRefreshAdmin(ModelAdmin):
    list_display = ["started_at", "family", "ok", "model_count", "error"]
    list_filter = ["ok", "family"]
    readonly_fields = ["family", "started_at", "finished_at", "ok", "model_count", "error"]


class MonitorRunInline(ReadOnlyInline):
    """Runs are made by the scheduler, once per slot."""

    model = MonitorRun
    fields = ["slot", "task_count", "created_at"]


@admin.register(Monitor)
class MonitorAdmin(ModelAdmin):
    form = MonitorAdminForm  # settings judged by the contract, the cron as the builder does
    inlines = [MonitorRunInline]
    list_display = ["name", "workspace", "schedule", "samples_per_run", "is_active", "created_at"]
    list_filter = ["schedule", "is_active", "workspace"]
    search_fields = ["name", "workspace__name"]
    list_select_related = ["workspace"]
    filter_horizontal = ["prompts"]


#: A task's history rows, shown and never edited: the pipeline alone writes them.
EVENT_FIELDS = [
    "at",
    "kind",
    "status_from",
    "status_to",
    "cost_field",
    "amount",
    "error_code",
    "message",
]


class TaskEventInline(ReadOnlyInline):
    model = TaskEvent
    fields = [*EVENT_FIELDS, "api_call"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("api_call")


def _report(modeladmin, request, report, *, verb: str, refused: str) -> None:
    if report.done:
        modeladmin.message_user(request, f"{verb} {len(report.done)} task(s).", messages.SUCCESS)
    if report.skipped:
        tags = ", ".join(t.tag for t in report.skipped[:5])
        more = "…" if len(report.skipped) > 5 else ""
        modeladmin.message_user(
            request, f"{len(report.skipped)} task(s) {refused}: {tags}{more}", messages.WARNING
        )


@admin.register(Task)
class TaskAdmin(ModelAdmin):
    list_display = [
        "tag",
        "workspace",
        "prompt",
        "status",
        "attempts",
        "cost_prepaid",
        "money_spent",
        "created_at",
    ]
    list_filter = ["status", "workspace", "monitor"]
    search_fields = ["tag", "provider_task_id", "prompt__text"]
    list_select_related = ["workspace", "prompt"]
    date_hierarchy = "created_at"
    inlines = [TaskEventInline]
    actions = ["retry", "reconcile", "cancel"]
    readonly_fields = [
        "workspace",
        "prompt",
        "monitor",
        "tag",
        "request_body_shown",
        "status",
        "provider_task_id",
        "sample",
        "attempts",
        "polls",
        "last_error_code",
        "last_error_message",
        "created_at",
        "claimed_at",
        "posted_at",
        "completed_at",
        "collected_at",
        "next_attempt_at",
        "cost_reserved",
        "cost_prepaid",
        "money_spent",
        "cost_real",
        "gateway_price",
    ]
    # The body is shown only through ``request_body_shown``: its webhook URLs carry secrets.
    exclude = ["claim_token", "request_body"]

    def has_add_permission(self, request):
        return False  # tasks come from the builder and monitors, with their history

    @admin.display(description="Request body")
    def request_body_shown(self, obj) -> str:
        body = task_body_redacted(obj.request_body)
        return format_html("<pre>{}</pre>", json.dumps(body, indent=2, ensure_ascii=False))

    @admin.action(
        description="Retry (failed, rejected, expired, cancelled, or a live call of unknown "
        "outcome → queued)"
    )
    def retry(self, request, queryset):
        report = admin_actions.tasks_apply(
            action=admin_actions.task_retry, tasks=queryset, user=request.user
        )
        _report(
            self,
            request,
            report,
            verb="Queued again",
            refused="not retried (only failed, rejected, expired or cancelled tasks and live "
            "calls of unknown outcome are; reconcile the other unknown ones)",
        )

    @admin.action(description="Reconcile tasks whose post outcome is unknown")
    def reconcile(self, request, queryset):
        count = admin_actions.tasks_reconcile_enqueue(tasks=queryset)
        if count:
            self.message_user(
                request,
                f"Asked a worker to reconcile {count} task(s) by their tags; "
                "their history shows the outcome within a minute.",
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                "None of these tasks is unknown or stuck posting (a live call of unknown "
                "outcome cannot be reconciled: retry it if it should be asked again).",
                messages.WARNING,
            )

    @admin.action(description="Cancel (queued or held tasks only)")
    def cancel(self, request, queryset):
        report = admin_actions.tasks_apply(
            action=admin_actions.task_cancel, tasks=queryset, user=request.user
        )
        _report(self, request, report, verb="Cancelled", refused="not cancelled (already sent)")


class ReadOnlyAdmin(ModelAdmin):
    """API-owned records: looked at, filtered, never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Made, used and withdrawn on the Members page only (a link is shown once, there)."""

    list_display = ["workspace", "role", "note", "created_by", "created_at", "expires_at"]
    list_display += ["accepted_by", "accepted_at", "revoked_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["workspace__name", "note", "created_by__username", "accepted_by__username"]
    list_select_related = ["workspace", "created_by", "accepted_by"]
    exclude = ["token_hash"]


@admin.register(PipelineHalt)
class PipelineHaltAdmin(ModelAdmin):
    list_display = ["created_at", "state", "error_code", "reason", "resolved_at", "resolved_by"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter), "error_code"]
    list_select_related = ["resolved_by"]
    readonly_fields = ["reason", "error_code", "created_at", "resolved_at", "resolved_by"]
    actions = ["resume"]

    def has_add_permission(self, request):
        return False  # the pipeline halts itself; an admin only resumes

    @admin.display(description="State", boolean=False)
    def state(self, obj) -> str:
        return "resolved" if obj.resolved_at else "HALTED — posting stopped"

    @admin.action(description="Resume posting (the account or key is fixed)")
    def resume(self, request, queryset):
        resolved = sum(
            admin_actions.pipeline_halt_resolve(halt=halt, user=request.user) for halt in queryset
        )
        self.message_user(
            request,
            f"Resolved {resolved} halt(s); queued tasks are posted again."
            if resolved
            else "Nothing to resume: these halts were already resolved.",
            messages.SUCCESS if resolved else messages.WARNING,
        )


@admin.register(TaskEvent)
class TaskEventAdmin(ReadOnlyAdmin):
    """Every status and cost change of every task; written by the pipeline and admin actions."""

    list_display = ["at", "task", "kind", "status_from", "status_to", "cost_field", "amount"]
    list_filter = ["kind", "status_to", "cost_field"]
    search_fields = ["task__tag", "message"]
    list_select_related = ["task"]
    date_hierarchy = "at"


class ApiCallEventInline(ReadOnlyInline):
    model = TaskEvent
    fk_name = "api_call"
    verbose_name_plural = "Task changes caused by this call"
    fields = ["task", *EVENT_FIELDS]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("task")


@admin.register(ApiCall)
class ApiCallAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "endpoint",
        "outcome",
        "http_status",
        "status_code",
        "task_count",
        "cost_reported",
        "gateway_price",
    ]
    list_filter = ["endpoint", "outcome", "http_status"]
    search_fields = ["error", "events__task__tag"]
    date_hierarchy = "started_at"
    inlines = [ApiCallEventInline]


class CitationInline(ReadOnlyInline):
    model = Citation
    fields = ["position", "url", "title", "domain", "brand"]


class MentionInline(ReadOnlyInline):
    model = Mention
    fields = ["brand", "count", "rank", "first_offset"]


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin):
    list_display = [
        "answered_at",
        "workspace",
        "prompt",
        "model_name",
        "web_search",
        "citation_count",
        "mention_count",
        "money_spent",
    ]
    list_filter = ["web_search", "model_name", "workspace", "is_informative"]
    search_fields = ["text", "task__tag", "prompt__text"]
    list_select_related = ["workspace", "prompt"]
    date_hierarchy = "answered_at"
    inlines = [CitationInline, MentionInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _citations=Count("citations", distinct=True),
                _mentions=Count("mentions", distinct=True),
            )
        )

    @admin.display(description="Citations", ordering="_citations")
    def citation_count(self, obj) -> int:
        return obj._citations

    @admin.display(description="Mentions", ordering="_mentions")
    def mention_count(self, obj) -> int:
        return obj._mentions


# Brands and prompts


class BrandAliasInline(admin.TabularInline):
    model = BrandAlias
    form = BrandAliasAdminForm  # no other brand's name or alias, none twice
    formset = BrandAliasFormSet
    extra = 1


class BrandDomainInline(admin.TabularInline):
    model = BrandDomain
    form = BrandDomainAdminForm  # normalised as the analysis does, none twice
    formset = BrandDomainFormSet
    extra = 1


@admin.register(Brand)
class BrandAdmin(ModelAdmin):
    list_display = ["name", "kind", "workspace", "alias_list", "domain_list", "updated_at"]
    list_filter = ["kind", "workspace"]
    search_fields = ["name", "aliases__name", "domains__domain", "workspace__name"]
    list_select_related = ["workspace"]
    autocomplete_fields = ["workspace"]
    readonly_fields = ["created_at", "updated_at"]
    form = BrandAdminForm
    inlines = [BrandAliasInline, BrandDomainInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("aliases", "domains")

    def get_readonly_fields(self, request, obj=None):
        # Moving a brand would leave its mentions in the old workspace's answers.
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "workspace"] if obj is not None else fields

    # Every change of a brand, its aliases or its domains re-analyses the workspace's answers
    # (after the admin's transaction commits), as the brands page does.

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        brand_services.brand_admin_saved(brand=form.instance)

    def delete_model(self, request, obj):
        brand_services.brand_delete(brand=obj)

    def delete_queryset(self, request, queryset):
        brand_services.brands_delete(brands=queryset)

    @admin.display(description="Aliases")
    def alias_list(self, obj) -> str:
        return ", ".join(a.name for a in obj.aliases.all()) or "—"

    @admin.display(description="Domains")
    def domain_list(self, obj) -> str:
        return ", ".join(d.domain for d in obj.domains.all()) or "—"


@admin.register(Tag)
class TagAdmin(ModelAdmin):
    list_display = ["name", "workspace", "prompt_count"]
    list_filter = ["workspace"]
    search_fields = ["name", "workspace__name"]
    list_select_related = ["workspace"]
    autocomplete_fields = ["workspace"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_prompt_count=Count("prompts"))

    @admin.display(description="Prompts", ordering="_prompt_count")
    def prompt_count(self, obj) -> int:
        return obj._prompt_count


@admin.register(Prompt)
class PromptAdmin(ModelAdmin):
    form = PromptAdminForm  # text, system message and chain judged by the contract
    list_display = ["__str__", "workspace", "tag_list", "is_active", "created_at"]
    list_filter = ["is_active", "tags", "workspace"]
    search_fields = ["text", "system_message", "tags__name"]
    list_select_related = ["workspace"]
    autocomplete_fields = ["workspace", "tags"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    @admin.display(description="Tags")
    def tag_list(self, obj) -> str:
        return ", ".join(t.name for t in obj.tags.all()) or "—"


@admin.register(PromptVersion)
class PromptVersionAdmin(ReadOnlyAdmin):
    """The wordings each prompt was sent with; every answer stays under its own.

    Editing a prompt in its admin page saves the prompt only: its next send records the new
    wording as a version (``services.prompts.prompt_versions_ensure``).
    """

    list_display = ["__str__", "prompt", "number", "created_at", "replaced_at"]
    list_filter = ["prompt__workspace"]
    search_fields = ["text", "prompt__text"]
    list_select_related = ["prompt"]
