from django.contrib import admin

from projects.models import Generation, Membership, Project, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "created_by", "updated_at"]
    list_filter = ["team"]
    search_fields = ["name"]


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "created_by", "model", "status", "task_id", "created_at"]
    list_filter = ["status", "model"]
    search_fields = ["task_id", "prompt"]
    readonly_fields = ["callback_token", "request_payload", "claimed_by", "claimed_until"]


# Library: reference assets and characters.
from projects.models import (  # noqa: E402
    AssetTag,
    Character,
    CharacterImage,
    GenerationReference,
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
    readonly_fields = ["sha256", "url", "thumbnail_url", "created_at"]
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
