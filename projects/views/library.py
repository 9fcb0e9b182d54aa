import contextlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from projects import media
from projects.decorators import contributor_required, team_required
from projects.forms.library import (
    AssetEditForm,
    AssetFilterForm,
    CharacterFilterForm,
    CharacterForm,
)
from projects.htmx import partial_request, vary_on_htmx
from projects.kinovi.request import format_names
from projects.models import AssetTag, Character, Generation, MediaError, ReferenceAsset
from projects.models.library import upload_limits
from projects.models.quotas import MB, QuotaExceeded, check_upload, storage_used

ASSETS_PER_PAGE = 60
TEMPLATES = "projects/library/"


def _get_asset_for_user(request, asset_id: int) -> ReferenceAsset:
    """An asset the user owns or that is shared with their current team; 404 otherwise."""
    return get_object_or_404(
        ReferenceAsset.objects.visible_to(request.user, request.team).select_related("owner"),
        pk=asset_id,
    )


def _get_rw_asset_for_user(request, asset_id: int) -> ReferenceAsset:
    asset = _get_asset_for_user(request, asset_id)
    if not asset.can_edit(request.user, request.membership):
        raise PermissionDenied("Only the owner or a team admin can change this asset.")
    return asset


def _get_character_for_user(request, character_id: int) -> Character:
    """A character of the user's personal library or of their team's; 404 otherwise."""
    return get_object_or_404(
        Character.objects.visible_to(request.user, request.team)
        .select_related("created_by", "owner")
        .with_images(),
        pk=character_id,
    )


def _get_rw_character_for_user(request, character_id: int) -> Character:
    character = _get_character_for_user(request, character_id)
    if not character.can_edit(request.user, request.membership):
        raise PermissionDenied("Only its creator or a team admin can change this character.")
    return character


def upload_rules() -> dict:
    """What the upload form accepts, read from the one definition of each limit."""
    limits = upload_limits()
    seconds = {
        media.Kind.VIDEO: limits.max_video_seconds,
        media.Kind.AUDIO: limits.max_audio_seconds,
    }
    formats = list(media.FORMATS.values())
    return {
        "accept": ",".join(
            dict.fromkeys([f.mime for f in formats] + [f".{f.extension}" for f in formats])
        ),
        "rules": [
            {
                "noun": noun,
                "formats": format_names(kind),
                "megabytes": limits.max_bytes[kind] // 2**20,
                "seconds": seconds.get(kind),
            }
            for kind, noun in media.KIND_NOUNS.items()
        ],
    }


@team_required
@vary_on_htmx
def library(request):
    visible = ReferenceAsset.objects.visible_to(request.user, request.team).active()
    filters = AssetFilterForm(request.GET)
    assets = filters.filter(visible).select_related("owner").prefetch_related("tags")
    page = Paginator(assets, ASSETS_PER_PAGE).get_page(request.GET.get("page"))
    template_name = TEMPLATES + "asset_list.html"
    context = {"filters": filters, "page": page}
    if partial_request(request):
        template_name += "#asset-grid"
    else:
        context["tags"] = (
            AssetTag.objects.filter(asset__in=visible)
            .values_list("name", flat=True)
            .distinct()
            .order_by("name")
        )
        context["upload"] = upload_rules()
        context["storage"] = {
            "used": storage_used(request.team),
            "quota": request.team.storage_quota_mb * MB,
        }
    return render(request, template_name, context)


@contributor_required
@require_POST
def asset_upload(request):
    """Store uploaded files; one per request from upload.js, many from the plain form.

    upload.js gets the new card's HTML (201, or 200 for bytes already stored)
    or the reason for refusing the file as plain text (400).
    """
    # A body larger than every cap never gets here: RequestSizeLimitMiddleware.
    one_by_one = request.headers.get("X-Requested-With") == "XMLHttpRequest"
    files = request.FILES.getlist("file")
    if not files:
        message = "Choose a file to upload."
        if one_by_one:
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        messages.error(request, message)
        return redirect("library")
    for upload in files:
        try:
            check_upload(request.team, request.user, upload.size)
        except QuotaExceeded as refusal:
            if one_by_one:
                return HttpResponse(
                    str(refusal),
                    status=refusal.http_status,
                    content_type="text/plain; charset=utf-8",
                )
            messages.error(request, f"{upload.name}: {refusal}")
            break
        try:
            asset, created = ReferenceAsset.objects.create_from_upload(
                upload, owner=request.user, team=request.team
            )
        except MediaError as e:
            if one_by_one:
                return HttpResponse(str(e), status=400, content_type="text/plain; charset=utf-8")
            messages.error(request, f"{upload.name}: {e}")
            continue
        if one_by_one:
            html = render_to_string(
                TEMPLATES + "asset_list.html#asset-card", {"asset": asset}, request
            )
            return HttpResponse(html, status=201 if created else 200)
        if created:
            messages.success(request, f"{upload.name}: uploaded.")
        else:
            messages.info(request, f"{upload.name}: already in your library as “{asset.name}”.")
    return redirect("library")


@team_required
@vary_on_htmx
def asset_detail(request, asset_id: int):
    asset = _get_asset_for_user(request, asset_id)
    return _render_asset_detail(request, asset, editing=False)


def _render_asset_detail(request, asset, *, editing: bool, form=None, partial: str = ""):
    """The page, or to HTMX the part that changed (`partial`, or the form or facts)."""
    context = {
        "asset": asset,
        "editing": editing,
        "form": form or AssetEditForm(instance=asset),
        "can_edit": asset.can_edit(request.user, request.membership),
        "uses": asset.generation_references.select_related(
            "generation__project", "character"
        ).order_by("-generation__created_at"),
        "characters": Character.objects.visible_to(request.user, request.team)
        .filter(images__asset=asset)
        .distinct(),
    }
    template_name = TEMPLATES + "asset_detail.html"
    if partial_request(request):
        template_name += "#" + (partial or ("edit-form" if editing else "facts"))
    return render(request, template_name, context)


@team_required
@vary_on_htmx
def asset_edit(request, asset_id: int):
    asset = _get_rw_asset_for_user(request, asset_id)
    if request.method != "POST":
        return _render_asset_detail(request, asset, editing=True)
    form = AssetEditForm(request.POST, instance=asset)
    if not form.is_valid():
        return _render_asset_detail(request, asset, editing=True, form=form)
    form.save()
    messages.success(request, f"Saved “{asset.name}”.")
    if not partial_request(request):
        return redirect("asset_detail", asset.pk)
    # The facts, with the new name in the title, the breadcrumb and a message.
    return _render_asset_detail(request, asset, editing=False, partial="saved")


@team_required
@require_POST
def asset_delete(request, asset_id: int):
    asset = _get_rw_asset_for_user(request, asset_id)
    if asset.archived_at is not None:
        messages.info(request, f"“{asset.name}” is already archived.")
    elif asset.delete_or_archive():
        messages.warning(
            request,
            f"“{asset.name}” is used by a video or a character, so it was archived instead "
            "of deleted: it is gone from your library but stays in their history.",
        )
    else:
        messages.success(request, f"“{asset.name}” deleted.")
    return redirect("library")


@team_required
@vary_on_htmx
def character_list(request):
    filters = CharacterFilterForm(request.GET)
    characters = (
        filters.filter(
            Character.objects.visible_to(request.user, request.team), request.user, request.team
        )
        .select_related("created_by")
        .with_images()
    )
    template_name = TEMPLATES + "character_list.html"
    if partial_request(request):
        template_name += "#character-list"
    return render(request, template_name, {"filters": filters, "characters": characters})


def _render_character_form(request, form, character=None):
    template_name = TEMPLATES + "character_form.html"
    if partial_request(request):
        template_name += "#form"
    return render(request, template_name, {"form": form, "character": character})


@contributor_required
@vary_on_htmx
def character_create(request):
    form = CharacterForm(request.POST or None, user=request.user, team=request.team)
    if request.method == "POST" and form.is_valid():
        try:
            character = form.save()
        except IntegrityError:
            # Lost a race for the handle with another request.
            form.add_error("handle", "This handle is already used in this library.")
            return _render_character_form(request, form)
        messages.success(request, f"@{character.handle} created.")
        if partial_request(request):
            # The dialog closes, the list refreshes, the message joins the page's.
            response = render(request, "partials/messages_oob.html")
            trigger_client_event(response, "characterCreated", {"id": character.pk})
            return trigger_client_event(response, "closeModal")
        return redirect("character_detail", character.pk)
    return _render_character_form(request, form)


@team_required
def character_detail(request, character_id: int):
    character = _get_character_for_user(request, character_id)
    return render(
        request,
        TEMPLATES + "character_detail.html",
        {
            "character": character,
            "can_edit": character.can_edit(request.user, request.membership),
            "can_copy_to_team": character.can_copy_to_team(request.user),
            "uses": Generation.objects.for_user(request.user, request.team)
            .using_character(character)
            .select_related("project", "created_by"),
        },
    )


@team_required
@vary_on_htmx
def character_edit(request, character_id: int):
    character = _get_rw_character_for_user(request, character_id)
    form = CharacterForm(
        request.POST or None, instance=character, user=request.user, team=request.team
    )
    if request.method == "POST" and form.is_valid():
        try:
            form.save()
        except IntegrityError:
            form.add_error("handle", "This handle is already used in this library.")
            return _render_character_form(request, form, character)
        messages.success(request, f"@{character.handle} saved.")
        if request.htmx:
            return HttpResponseClientRedirect(reverse("character_detail", args=[character.pk]))
        return redirect("character_detail", character.pk)
    return _render_character_form(request, form, character)


@team_required
@require_POST
def character_delete(request, character_id: int):
    character = _get_rw_character_for_user(request, character_id)
    handle = character.handle
    character.delete()
    messages.success(request, f"@{handle} deleted.")
    return redirect("character_list")


@contributor_required
@require_POST
def character_copy(request, character_id: int):
    """Copy a team character to my library, or one of mine to the team's."""
    character = _get_character_for_user(request, character_id)
    if character.is_team:
        owner, where = request.user, "your library"
    elif character.can_copy_to_team(request.user):
        owner, where = None, "the team library"
    else:
        raise PermissionDenied
    existing = Character.objects.in_library(request.team, owner).filter(handle=character.handle)
    copy = None
    if not existing.exists():
        # Losing a race with another copy gets the same answer as finding it.
        with contextlib.suppress(IntegrityError):
            copy = character.copy_to(owner=owner, user=request.user)
    if copy is None:
        # Not an error: what the user asked for is there; point to it.
        messages.info(
            request,
            format_html(
                '@{} already exists in {}: <a href="{}">open that copy</a>.',
                character.handle,
                where,
                reverse("character_detail", args=[existing.get().pk]),
            ),
        )
        return redirect("character_detail", character.pk)
    messages.success(request, f"@{copy.handle} copied to {where}.")
    return redirect("character_detail", copy.pk)
