from django.contrib import admin

from projects import worker
from projects.kinovi.client import KinoviError, TaskNotFound
from projects.models import (
    AuditEntry,
    Budget,
    Generation,
    GenerationReference,
    KinoviAlert,
    LedgerEntry,
    Membership,
    ModelAvailability,
    PriceVersion,
    Project,
    Team,
)
from projects.models.generation import UNKNOWN_RECHECK

# The admin is a page of this app, not of Django: its name in the header and the tab.
admin.site.site_header = "Kinovi Web administration"
admin.site.site_title = "Kinovi Web admin"


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    # The limits are the team admins' to set, on the Members page.
    fields = ["name", "slug"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "owner", "archived_at", "updated_at"]
    list_filter = ["team"]
    search_fields = ["name"]
    raw_id_fields = ["owner"]


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "project",
        "created_by",
        "model",
        "status",
        "status_detail",
        "task_id",
        "credits_estimated",
        "created_at",
    ]
    list_filter = ["status", "model"]
    list_select_related = ["project", "created_by"]
    search_fields = ["task_id", "prompt"]
    # The life-cycle methods are the only writers of status (and of what goes with it);
    # the output and its stills are Kinovi's, copied by the worker: never uploads.
    readonly_fields = [
        "status",
        "status_detail",
        "task_id",
        "callback_token_hash",
        "callback_salt",
        "request_payload",
        "credits_estimated",
        "credits_used",
        "error_code",
        "error_message",
        "claimed_by",
        "claimed_until",
        "output_url",
        "output_file",
        "poster_file",
        "last_frame_file",
        "output_width",
        "output_height",
        "seed",
    ]
    raw_id_fields = ["project", "created_by"]
    actions = ["check_with_kinovi", "fail_and_refund"]

    @admin.action(description="Check with Kinovi by task id")
    def check_with_kinovi(self, request, queryset):
        for generation in queryset.exclude(task_id=""):
            try:
                info = worker.kinovi().record_info(generation.task_id)
            except TaskNotFound:
                self.message_user(
                    request,
                    f"{generation}: Kinovi doesn't know this task ({generation.task_id}); "
                    "mark it failed to refund it.",
                    "warning",
                )
                continue
            except KinoviError as error:
                self.message_user(
                    request, f"{generation}: Kinovi didn't answer ({error.message}).", "error"
                )
                continue
            # The worker applies it (and copies the video) at once.
            generation.wake()
            self.message_user(
                request,
                f"{generation}: Kinovi says {info.status}; {_after_check(generation, info)}",
            )
        without_task = queryset.filter(task_id="").count()
        if without_task:
            self.message_user(
                request,
                f"{without_task} generation(s) have no task id, so Kinovi can't be asked about "
                "them; mark them failed to refund them.",
                "warning",
            )

    @admin.action(description="Mark failed and refund")
    def fail_and_refund(self, request, queryset):
        failed = left = 0
        for generation in queryset:
            if generation.status in (*Generation.FINISHED_STATES, Generation.Status.DRAFT):
                left += 1
                continue
            failed += generation.give_up(
                f"Marked failed by an admin ({request.user.get_username()}): Kinovi's "
                "outcome couldn't be established.",
                code="admin",
            )
        self.message_user(request, f"{failed} generation(s) marked failed and refunded.")
        if left:
            self.message_user(
                request, f"{left} finished or draft generation(s) left as they were.", "warning"
            )


def _after_check(generation: Generation, info) -> str:
    """What the worker does with what Kinovi said, for the admin who asked."""
    if info.is_finished:
        return "the worker records it now (copying the video, or refunding a failure)."
    if generation.status != Generation.Status.UNKNOWN or generation.accepted_at is None:
        return "the worker follows the task from now on."
    minutes = int(UNKNOWN_RECHECK.total_seconds() // 60)
    return (
        f"it stays unknown until the task ends (the worker asks every {minutes} minutes); "
        "mark it failed to refund it now."
    )


@admin.register(KinoviAlert)
class KinoviAlertAdmin(admin.ModelAdmin):
    list_display = ["status_code", "message", "raised_at", "last_seen_at", "resolved_at"]
    list_filter = ["status_code"]
    readonly_fields = ["status_code", "message", "raised_at", "last_seen_at", "resolved_by"]
    actions = ["resolve"]

    @admin.action(description="Mark resolved (hide the banner)")
    def resolve(self, request, queryset):
        resolved = 0
        for alert in queryset.open():
            alert.resolve(by=request.user)
            resolved += 1
        self.message_user(request, f"{resolved} alert(s) resolved; their banner is gone.")


# Library: reference assets and characters.
from projects.models import (  # noqa: E402
    AssetTag,
    Character,
    CharacterImage,
    ReferenceAsset,
)


class AssetTagInline(admin.TabularInline):
    model = AssetTag
    extra = 0


@admin.register(ReferenceAsset)
class ReferenceAssetAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "owner", "team", "shared", "size_bytes", "archived_at"]
    list_filter = ["kind", "shared", "team"]
    search_fields = ["name", "original_filename", "sha256"]
    # Files are checked only on the upload path; replacing one here would skip every check.
    readonly_fields = [
        "file",
        "thumbnail",
        "kind",
        "mime_type",
        "width",
        "height",
        "duration",
        "size_bytes",
        "sha256",
        "url",
        "thumbnail_url",
        "created_at",
    ]
    raw_id_fields = ["owner"]
    inlines = [AssetTagInline]


class CharacterImageInline(admin.TabularInline):
    model = CharacterImage
    extra = 0
    raw_id_fields = ["asset"]


@admin.register(Character)
class CharacterAdmin(admin.ModelAdmin):
    list_display = ["name", "handle", "team", "owner", "created_by", "updated_at"]
    list_filter = ["team"]
    search_fields = ["name", "handle"]
    raw_id_fields = ["owner", "created_by"]
    inlines = [CharacterImageInline]


@admin.register(GenerationReference)
class GenerationReferenceAdmin(admin.ModelAdmin):
    list_display = ["generation", "kind", "position", "asset", "character"]
    list_filter = ["kind"]
    raw_id_fields = ["generation", "asset", "character"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Credits records are written by the app's audited functions, so admin only shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "team", "user", "generation", "credits", "dollars", "accrued_at"]
    list_filter = ["kind", "team"]
    list_select_related = ["team", "user", "generation"]
    search_fields = ["reason", "user__username"]


@admin.register(Budget)
class BudgetAdmin(ReadOnlyAdmin):
    list_display = ["team", "user", "period", "hard_limit", "soft_limit_percent", "updated_at"]
    list_select_related = ["team", "user"]


@admin.register(PriceVersion)
class PriceVersionAdmin(ReadOnlyAdmin):
    list_display = ["effective_from", "dollars_per_credit", "note", "created_by"]


@admin.register(ModelAvailability)
class ModelAvailabilityAdmin(ReadOnlyAdmin):
    """The models switched off, for the site (no team) or by a team's admins. Switched on
    and off on the Members page (Models), which writes the audit log."""

    list_display = ["model", "team", "created_by", "created_at"]
    list_filter = ["model"]
    list_select_related = ["team", "created_by"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "team", "actor", "subject", "old_value", "new_value"]
    list_filter = ["action", "team"]
    list_select_related = ["team", "actor"]


# Review: sharing, verdicts, comments, client links, and the mail they queue.
from projects.models import (  # noqa: E402
    Comment,
    MailPreference,
    OutboxMail,
    ProjectShare,
    ReviewLink,
    Verdict,
    VerdictRecord,
    VideoDoneNotice,
)


@admin.register(ProjectShare)
class ProjectShareAdmin(ReadOnlyAdmin):
    """Only the owner shares (their Share page); staff may stop a share, nothing else."""

    list_display = ["project", "user", "role", "created_at"]
    list_filter = ["role", "project__team"]
    list_select_related = ["project", "user"]
    search_fields = ["project__name", "user__username"]

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj)


@admin.register(Verdict)
class VerdictAdmin(ReadOnlyAdmin):
    """A video's verdict now; set_state writes it with its VerdictRecord, so never here."""

    list_display = ["generation", "state", "changed_by", "changed_at"]
    list_filter = ["state"]
    list_select_related = ["generation", "changed_by"]
    search_fields = ["=generation__id", "changed_by__username"]


@admin.register(VerdictRecord)
class VerdictRecordAdmin(ReadOnlyAdmin):
    """Who gave which verdict when, a member's or a client's: append-only."""

    list_display = ["created_at", "generation", "state", "decision", "user", "name", "link"]
    list_filter = ["state", "decision"]
    list_select_related = ["generation", "user", "link"]
    search_fields = ["=generation__id", "user__username", "name"]
    date_hierarchy = "created_at"


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    """What a member or a client said, as they said it; staff may remove one."""

    list_display = ["created_at", "generation", "by", "at_seconds", "body", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["generation", "author"]
    search_fields = ["body", "author__username", "client_name"]
    date_hierarchy = "created_at"

    @admin.display(description="By")
    def by(self, comment):
        return comment.by

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj)


@admin.register(ReviewLink)
class ReviewLinkAdmin(ReadOnlyAdmin):
    """Links are made on the owner's Share page (the token is shown once, there only);
    staff see them and may revoke them."""

    list_display = ["__str__", "project", "whole_project", "created_by", "expires_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "whole_project"]
    list_select_related = ["project", "created_by"]
    search_fields = ["title", "project__name"]
    exclude = ["token_hash", "media_key", "password_hash"]
    actions = ["revoke"]

    def has_revoke_permission(self, request):
        return request.user.has_perm("projects.change_reviewlink")

    @admin.action(description="Revoke (the link answers 410 from now on)", permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = 0
        for link in queryset.filter(revoked_at__isnull=True):
            link.revoke()
            revoked += 1
        self.message_user(request, f"{revoked} link(s) revoked.")


@admin.register(OutboxMail)
class OutboxMailAdmin(ReadOnlyAdmin):
    """Mail the requests queued and the worker sends."""

    list_display = ["subject", "created_at", "send_after", "attempts", "sent_at", "failed_at"]
    list_filter = [
        ("sent_at", admin.EmptyFieldListFilter),
        ("failed_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["subject", "recipients"]
    date_hierarchy = "created_at"


@admin.register(MailPreference)
class MailPreferenceAdmin(ReadOnlyAdmin):
    """Each member chooses their own mail (the account menu's Mail)."""

    list_display = ["user", "video_done", "review_activity"]
    list_filter = ["video_done", "review_activity"]
    list_select_related = ["user"]
    search_fields = ["user__username"]


@admin.register(VideoDoneNotice)
class VideoDoneNoticeAdmin(ReadOnlyAdmin):
    list_display = ["generation", "queued_at"]
    list_select_related = ["generation"]
