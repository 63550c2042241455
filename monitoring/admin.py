from django.contrib import admin

from monitoring.models import (
    Brand,
    BrandAlias,
    BrandDomain,
    Heartbeat,
    LlmModel,
    Membership,
    ModelRefresh,
    Monitor,
    Prompt,
    Tag,
    Task,
    TaskEvent,
    Workspace,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "member_count", "created_at"]
    search_fields = ["name", "slug", "memberships__user__username"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at"]
    inlines = [MembershipInline]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_member_count=Count("memberships"))

    @admin.display(description="Members", ordering="_member_count")
    def member_count(self, obj) -> int:
        return obj._member_count


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["user__username", "user__email", "workspace__name"]
    list_select_related = ["user", "workspace"]
    autocomplete_fields = ["user", "workspace"]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "seen_at"]
    readonly_fields = ["name", "seen_at"]


# --- Request builder: model catalogue, monitors, tasks ------------------------------------


@admin.register(LlmModel)
class LlmModelAdmin(admin.ModelAdmin):
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


@admin.register(ModelRefresh)
class ModelRefreshAdmin(admin.ModelAdmin):
    list_display = ["started_at", "family", "ok", "model_count", "error"]
    list_filter = ["ok", "family"]
    readonly_fields = ["family", "started_at", "finished_at", "ok", "model_count", "error"]


@admin.register(Monitor)
class MonitorAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "schedule", "samples_per_run", "is_active", "created_at"]
    list_filter = ["schedule", "is_active", "workspace"]
    search_fields = ["name", "workspace__name"]
    list_select_related = ["workspace"]
    filter_horizontal = ["prompts"]


class TaskEventInline(admin.TabularInline):
    model = TaskEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "status_from", "status_to", "cost_field", "amount", "message"]

    def has_add_permission(self, request, obj=None):
        return False  # history is written by the pipeline only


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = [
        "tag",
        "workspace",
        "prompt",
        "status",
        "attempts",
        "cost_reported",
        "created_at",
    ]
    list_filter = ["status", "workspace", "monitor"]
    search_fields = ["tag", "provider_task_id", "prompt__text"]
    list_select_related = ["workspace", "prompt"]
    date_hierarchy = "created_at"
    inlines = [TaskEventInline]
    readonly_fields = [
        "workspace",
        "prompt",
        "monitor",
        "tag",
        "request_body",
        "status",
        "provider_task_id",
        "sample",
        "attempts",
        "last_error_code",
        "last_error_message",
        "created_at",
        "posted_at",
        "completed_at",
        "collected_at",
        "cost_prepaid",
        "cost_reported",
        "money_spent",
        "gateway_price",
    ]


# Brands and prompts


class BrandAliasInline(admin.TabularInline):
    model = BrandAlias
    extra = 1


class BrandDomainInline(admin.TabularInline):
    model = BrandDomain
    extra = 1


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "workspace", "alias_list", "domain_list", "updated_at"]
    list_filter = ["kind", "workspace"]
    search_fields = ["name", "aliases__name", "domains__domain", "workspace__name"]
    list_select_related = ["workspace"]
    autocomplete_fields = ["workspace"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [BrandAliasInline, BrandDomainInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("aliases", "domains")

    @admin.display(description="Aliases")
    def alias_list(self, obj) -> str:
        return ", ".join(a.name for a in obj.aliases.all()) or "—"

    @admin.display(description="Domains")
    def domain_list(self, obj) -> str:
        return ", ".join(d.domain for d in obj.domains.all()) or "—"


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "prompt_count"]
    list_filter = ["workspace"]
    search_fields = ["name", "workspace__name"]
    list_select_related = ["workspace"]
    autocomplete_fields = ["workspace"]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_prompt_count=Count("prompts"))

    @admin.display(description="Prompts", ordering="_prompt_count")
    def prompt_count(self, obj) -> int:
        return obj._prompt_count


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
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
