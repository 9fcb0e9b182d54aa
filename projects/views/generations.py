"""The project page: the composer, its live check, submit, and the generation cards."""

import re
from decimal import Decimal

from django.contrib import messages
from django.core import signing
from django.core.files import File
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from projects.decorators import contributor_required, team_required
from projects.forms.generations import (
    ComposerForm,
    QuoteChanged,
    QuoteTerms,
    composer_models_config,
    new_idempotency_key,
)
from projects.kinovi.pricing import format_credits
from projects.kinovi.references import Kind
from projects.models import (
    Character,
    Generation,
    MediaError,
    ModelAvailability,
    Project,
    ReferenceAsset,
)
from projects.models.credits import (
    SubmissionRefused,
    quote,
    soft_limit_warnings,
)
from projects.models.generation import CardPage
from projects.models.limits import LimitReached, check_submission
from projects.views.library import upload_rules
from projects.views.projects import _check_id, _get_project_for_user

GENERATIONS_PER_PAGE = 20
# References in Kinovi's order: `urls` (images, videos), then audio.
KINOVI_KIND_ORDER = (Kind.IMAGE, Kind.VIDEO, Kind.AUDIO)
PICKER_RESULTS = 48
PROJECT_PAGE = "projects/project_detail.html"
GENERATION_PAGE = "projects/generations/generation.html"
PICKER_PAGE = "projects/generations/picker.html"
PICKER_KINDS = [
    ("", "Everything"),
    (Kind.IMAGE, "Images"),
    (Kind.VIDEO, "Videos"),
    (Kind.AUDIO, "Audio"),
    ("character", "Characters"),
]


def _partial_request(request) -> bool:
    """An HTMX swap, as opposed to a page load (history restores want the page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _composer_form(request, project, data, available_models=None) -> ComposerForm:
    return ComposerForm(
        data,
        user=request.user,
        team=request.team,
        project=project,
        available_models=available_models,
    )


def _as_posted(initial: dict, references: list[str]) -> QueryDict:
    """Initial composer values as the browser would post them (unchecked boxes absent)."""
    data = QueryDict(mutable=True)
    for name, value in initial.items():
        if value not in (None, False, ""):
            data[name] = value
    data.setlist("references", references)
    return data


def _reference_values(generation) -> list[str]:
    """A generation's references as the composer posts them, in the order they were sent.

    Images and videos keep their order in the stored request's `urls` (the first of
    them is Kinovi's primary reference); audio follows.
    """
    inputs = (generation.request_payload or {}).get("inputs", {})
    sent_order = {url: index for index, url in enumerate(inputs.get("urls", []))}
    references = sorted(
        generation.references.all(),
        key=lambda ref: (
            ref.kind == Kind.AUDIO,
            sent_order.get(ref.url, len(sent_order)),
            KINOVI_KIND_ORDER.index(ref.kind),
            ref.position,
        ),
    )
    return [
        f"{ref.asset_id}:{ref.character_id}" if ref.character_id else str(ref.asset_id)
        for ref in references
        if ref.asset_id
    ]


def reference_data(asset: ReferenceAsset, character: Character | None = None) -> dict:
    """What composer.js needs to show a reference and post it back."""
    return {
        "value": f"{asset.pk}:{character.pk}" if character else str(asset.pk),
        "kind": asset.kind,
        "name": asset.name,
        "thumb": asset.thumbnail_url,
        "duration": asset.duration,
        "format": asset.format_name,
        "handle": character.handle if character else "",
    }


def character_data(character: Character) -> list[dict]:
    """A character's images as references, the primary one first, under its handle."""
    primary = character.primary_image
    images = character.ordered_images
    if primary is not None:
        images = [primary, *(image for image in images if image != primary)]
    return [reference_data(image.asset, character) for image in images]


def _quote_for(request, form: ComposerForm):
    """The price and budgets of what the form holds, once model, resolution and length
    are valid for each other; None before. A shot the prices in effect don't price
    (PriceMissing) is a form error, never priced at another resolution's rate."""
    data = getattr(form, "cleaned_data", {})
    if any(name not in data for name in ("model", "resolution", "duration")):
        return None
    if form.has_error("model") or form.has_error("resolution") or form.has_error("duration"):
        return None
    if form.has_error("upscale_4k"):
        return None
    try:
        return quote(
            team=request.team,
            user=request.user,
            model=data["model"],
            duration=data["duration"],
            upscale_4k=data.get("upscale_4k", False),
            has_video_reference=form.has_video_reference,
            resolution=data["resolution"],
            reference_video_seconds=form.reference_video_seconds(),
        )
    except ValueError as refusal:
        form.add_error("resolution", str(refusal))
        return None


_UNSET = object()


def _checks_context(request, form: ComposerForm, quote=_UNSET, **extra) -> dict:
    if not hasattr(form, "cleaned_data"):
        form.is_valid()
    if quote is _UNSET:
        quote = _quote_for(request, form)
    takes = getattr(form, "cleaned_data", {}).get("takes") or 1
    # The price shown, signed into the form: the submit reserves only this price.
    token = form.quote_terms(quote).token() if quote is not None else ""
    return {
        "form": form,
        "quote": quote,
        "quote_token": token,
        "takes": takes,
        "takes_credits": quote.credits * takes if quote else None,
        "soft_limit_warnings": soft_limit_warnings(request.team, request.user, quote.budgets)
        if quote
        else [],
        "prompt_limit": form.prompt_limit,
        **extra,
    }


def _get_generation_for_user(request, generation_id: int) -> Generation:
    """A generation in one of the user's own projects in their current team; 404 otherwise."""
    _check_id(generation_id)
    generations = Generation.objects.for_user(request.user, request.team)
    return get_object_or_404(generations.select_related("project"), pk=generation_id)


def _get_card_for_user(request, generation_id: int) -> Generation:
    """What _get_generation_for_user finds, with everything its card shows, in one go."""
    _check_id(generation_id)
    generations = Generation.objects.for_user(request.user, request.team).cards()
    card = get_object_or_404(generations.select_related("project"), pk=generation_id)
    return _complete_cards([card])[0]


def _complete_cards(generations: list[Generation]) -> list[Generation]:
    """Cards with their places in line and what Generation.objects.complete_cards adds."""
    _add_queue_positions(generations)
    return Generation.objects.complete_cards(generations)


def _add_queue_positions(generations: list[Generation]) -> None:
    """`queue_position` of each card: its place in the line the worker sends from
    (Generation.objects.queue_positions), None when not queued; one query, and none
    when no card is queued. Generation.place_in_line reads it."""
    positions = {}
    if any(generation.status == Generation.Status.QUEUED for generation in generations):
        positions = Generation.objects.queue_positions()
    for generation in generations:
        generation.queue_position = positions.get(generation.pk)


def _composer_config(form: ComposerForm) -> dict:
    """Each offered model's choices and limits, for composer.js to offer and enforce
    as the user changes the model and adds references."""
    return {
        "models": composer_models_config(form.available_models),
        "defaultResolution": form.project.default_resolution,
    }


def _first_cards(request, project_id: int, archived: bool) -> tuple[Project, CardPage]:
    """The user's project and the page of its videos asked for (404 when the project
    isn't theirs): two queries, the cards' compiled once per process."""
    project = _get_project_for_user(request, project_id)
    return project, _cards_of(request, project, archived)


def _cards_of(request, project, archived: bool) -> CardPage:
    """The page of the project's videos asked for (`?page=`), newest first, complete."""
    page = Generation.objects.project_card_page(
        project, request.GET.get("page", ""), GENERATIONS_PER_PAGE, archived=archived
    )
    _complete_cards(page.object_list)
    return page


def project_context(
    request, project, form: ComposerForm, page: CardPage | None = None, archived: bool = False
) -> dict:
    """Everything the project page shows (bench/generations.py renders it once more).

    The price and budgets arrive with the check the composer sends as it loads: the
    page itself stays a handful of queries.
    """
    if page is None:
        page = _cards_of(request, project, archived)
    form.is_valid()
    return {
        "project": project,
        "page": page,
        "archived": archived,
        "form": form,
        "prompt_limit": form.prompt_limit,
        "references_json": [reference_data(r.asset, r.character) for r in form.chosen],
        "composer_config": _composer_config(form),
        "picker_kinds": PICKER_KINDS,
        "accept": upload_rules()["accept"],
        "idempotency_key": form["idempotency_key"].value(),
    }


def _render_project(request, project, form: ComposerForm, *, status: int = 200):
    return render(request, PROJECT_PAGE, project_context(request, project, form), status=status)


@team_required
def project_detail(request, project_id: int):
    """The project's videos, newest first, under the composer.

    `?from=<generation>` fills the composer with that video's spec (edit in composer);
    `?add=<asset>` starts it with that reference (continue from the last frame);
    `?archived=1` lists the archived videos instead, to restore them.
    """
    archived = request.GET.get("archived") == "1"
    project, page = _first_cards(request, project_id, archived)
    available = ModelAvailability.objects.available_to(request.team)
    initial = ComposerForm.initial_for(project, available_models=available)
    references: list[str] = []
    source_id = request.GET.get("from", "")
    if source_id.isascii() and source_id.isdigit():
        source = _get_generation_for_user(request, int(source_id))
        initial = ComposerForm.initial_for(project, source)
        references = _reference_values(source)
    added = request.GET.get("add", "")
    if added.isascii() and added.isdigit():
        references.append(added)
    form = _composer_form(request, project, _as_posted(initial, references), available)
    context = project_context(request, project, form, page, archived)
    # The browser's unsent draft comes back unless the composer was asked to start
    # from a video or a file.
    context["draft_restorable"] = not source_id and not added
    return render(request, PROJECT_PAGE, context)


@contributor_required
@require_POST
def composer_check(request, project_id: int):
    """The live check: every rule, the compiled prompt, the price and the budgets."""
    project = _get_project_for_user(request, project_id)
    form = _composer_form(request, project, data=request.POST)
    return render(request, PROJECT_PAGE + "#checks", _checks_context(request, form))


@contributor_required
@require_POST
def generation_submit(request, project_id: int):
    """Queue the composed video: reserve its credits and store it; no network call.

    Answers the HTMX composer with its checks (the composer keeps its content), the new
    card at the top of the list and a fresh idempotency key, all in one response.
    """
    project = _get_project_for_user(request, project_id)
    form = _composer_form(request, project, data=request.POST)
    status, retry_at, extra = 422, None, {}
    fresh = None
    if form.is_valid():
        fresh = _quote_for(request, form)
    if form.is_valid() and form.unsendable:
        form.add_error(None, form.unsendable)
    if not form.is_valid():
        if form.has_error("model", "unavailable") or form.has_error("resolution"):
            status = 400
    elif fresh is not None:
        status, extra, locked = _quote_lock(request, form, fresh)
        if locked is not None:
            try:
                if not _already_submitted(request, form):
                    check_submission(request.team, request.user)
                generation, created = form.save(expected=locked)
            except LimitReached as refusal:
                form.add_error(None, str(refusal))
                status, retry_at = 429, refusal.retry_at
            except SubmissionRefused as refusal:
                # Over a budget, or a shot the prices in effect cannot price.
                form.add_error(None, str(refusal))
                status = 422
            except QuoteChanged:
                # Prices changed between the lock's check and the reservation.
                fresh = _quote_for(request, form)
                status, extra = 409, {"quote_changed": {"seen": locked.total}}
            else:
                return _submitted(request, project, form, generation, created)
    context_extra = {"quote": fresh, **extra} if fresh is not None else extra
    if _partial_request(request):
        context = _checks_context(request, form, **context_extra)
        response = render(request, PROJECT_PAGE + "#checks", context, status=status)
    else:
        context = project_context(request, project, form)
        context.update(_checks_context(request, form, **context_extra))
        response = render(request, PROJECT_PAGE, context, status=status)
    return _with_retry_after(response, retry_at)


def _quote_lock(request, form: ComposerForm, fresh) -> tuple[int, dict, QuoteTerms | None]:
    """The quote lock: the terms to reserve at when the posted price is the current one,
    else why not (409 with the new price to confirm; 400 for a token not ours).

    A resubmitted form (its key already made a video) passes: it reserves nothing.
    """
    terms = form.quote_terms(fresh)
    if _already_submitted(request, form):
        return 200, {}, terms
    posted = form.cleaned_data["quote"]
    if not posted:
        return 409, {"quote_changed": {"seen": None}}, None
    try:
        seen = QuoteTerms.from_token(posted)
    except signing.BadSignature:
        form.add_error(None, "This price could not be verified: check it and Generate again.")
        return 400, {}, None
    if seen != terms:
        return 409, {"quote_changed": {"seen": seen.total}}, None
    return 200, {}, terms


def _already_submitted(request, form) -> bool:
    """A resubmitted form (double click, reload) makes no new video: no limit applies."""
    key = form.cleaned_data["idempotency_key"]
    return Generation.objects.filter(created_by=request.user, idempotency_key=key).exists()


def _with_retry_after(response, retry_at=None):
    if response.status_code == 429:
        seconds = (retry_at - timezone.now()).total_seconds() if retry_at else 60
        response["Retry-After"] = str(max(1, int(seconds) + 1))
    return response


def _submitted(request, project, form, generation, created: bool):
    if not _partial_request(request):
        if created and len(form.made) > 1:
            reserved = sum(made.credits_estimated for made in form.made)
            messages.success(
                request,
                f"{len(form.made)} videos queued: {format_credits(reserved)} credits reserved.",
            )
        elif created:
            messages.success(
                request,
                f"Video {generation.pk} queued: "
                f"{format_credits(generation.credits_estimated)} credits reserved.",
            )
        return redirect("project_detail", project.pk)
    html = render_to_string(PROJECT_PAGE + "#checks", _checks_context(request, form), request)
    html += render_to_string(
        PROJECT_PAGE + "#submitted", {"submitted": generation, "oob": True}, request
    )
    # A new key: what the user submits next is another video.
    html += render_to_string(
        PROJECT_PAGE + "#idempotency-key",
        {"idempotency_key": new_idempotency_key(), "oob": True},
        request,
    )
    if created:
        html += "".join(_card_oob(request, made) for made in form.made)
    return HttpResponse(html)


def _card_oob(request, generation) -> str:
    """The new card, sent out of band to the top of the project's list."""
    cards = Generation.objects.filter(pk=generation.pk).cards().select_related("project")
    card = _complete_cards([cards.get()])[0]
    html = render_to_string(
        GENERATION_PAGE + "#card",
        {"generation": card},
        request,
    )
    # Not into the list of archived videos, should that be the one on the page.
    target = "#generation-list[data-shows=current]"
    return f'<div hx-swap-oob="afterbegin:{target}">{html}</div>'


@team_required
def generation_detail(request, generation_id: int):
    """A video's own page; to HTMX, its tile of the project page (polled every 2 s), or
    with `?part=details` the page's player and facts (polled while in progress).

    A finished generation's answer is 286, which stops the polling.
    """
    card = _get_card_for_user(request, generation_id)
    context = {"project": card.project, "generation": card, "rerun_key": new_idempotency_key()}
    if not _partial_request(request):
        context["newer"], context["older"] = card.neighbours()
        return render(request, GENERATION_PAGE, context)
    part = "#details" if request.GET.get("part") == "details" else "#card"
    html = render_to_string(GENERATION_PAGE + part, context, request)
    if card.is_finished:
        return HttpResponseStopPolling(html)
    return HttpResponse(html)


@contributor_required
@require_POST
def generation_rerun(request, generation_id: int):
    """The same spec again, as a new generation with its own reservation.

    The card's button carries an idempotency key: a double click (or a resubmitted
    form) makes one video. To HTMX it answers with a note beside the card re-run and
    the new card at the top of the list (announced, and scrolled to by studio.js).
    """
    generation = _get_generation_for_user(request, generation_id)
    project = generation.project
    initial = ComposerForm.initial_for(project, generation)
    initial["idempotency_key"] = request.POST.get("idempotency_key") or initial["idempotency_key"]
    form = _composer_form(request, project, data=_as_posted(initial, _reference_values(generation)))
    problem, new, created = "", None, False
    limited, retry_at, repriced = False, None, None
    seen = _posted_credits(request)
    if seen is _UNREADABLE:
        problem = "This price could not be read: reload the page and Re-run again."
    elif form.is_valid():
        try:
            check_submission(request.team, request.user)
            new, created = form.save(expected_credits=seen)
        except LimitReached as refusal:
            problem, limited, retry_at = str(refusal), True, refusal.retry_at
        except SubmissionRefused as refusal:
            problem = str(refusal)
        except QuoteChanged as changed:
            # The button showed the price of its day: nothing is reserved at another.
            repriced = changed.args[0]
            problem = (
                f"Prices have changed: this video would now cost {format_credits(repriced)} "
                f"credits. Nothing was reserved: Re-run again to make it for "
                f"{format_credits(repriced)} credits."
            )
    else:
        problem = "This video can't be made again as it was: " + " ".join(form.problems())
    if repriced is not None and not _partial_request(request):
        # The video's page again, its button now carrying the new price to confirm.
        messages.warning(request, problem)
        card = _get_card_for_user(request, generation.pk)
        card.rerun_key, card.rerun_credits = form.cleaned_data["idempotency_key"], repriced
        context = {"project": project, "generation": card}
        context["newer"], context["older"] = card.neighbours()
        return render(request, GENERATION_PAGE, context, status=409)
    if problem:
        note = problem
    elif created:
        note = (
            f"Video {new.pk} queued again: "
            f"{format_credits(new.credits_estimated)} credits reserved."
        )
    else:
        note = f"Video {new.pk} is queued already: nothing more was reserved."
    if not _partial_request(request):
        (messages.error if problem else messages.success)(request, note)
        return redirect("project_detail", project.pk)
    html = render_to_string(
        GENERATION_PAGE + "#tile-note",
        # A new price to confirm is no failure: the note is not shown as an error.
        {
            "generation": generation,
            "note": note,
            "note_failed": bool(problem) and repriced is None,
            "oob": True,
        },
        request,
    )
    if repriced is not None:
        html += render_to_string(
            GENERATION_PAGE + "#rerun-credits",
            {"generation": generation, "credits": repriced, "oob": True},
            request,
        )
    if created:
        html += _card_oob(request, new)
    status = 429 if limited else 409 if repriced is not None else 422 if problem else 200
    if seen is _UNREADABLE:
        status = 400
    response = _with_retry_after(HttpResponse(html, status=status), retry_at)
    if new is not None:
        trigger_client_event(response, "videoQueued", {"id": new.pk, "created": created})
    return response


_UNREADABLE = object()
# As a button renders a price: plain ASCII digits, at most 3 decimals (a credit's 0.001).
_CREDITS_POSTED = re.compile(r"[0-9]{1,12}(\.[0-9]{1,3})?", re.ASCII)


def _posted_credits(request):
    """The price a Re-run button was rendered with (None for a form without one, as
    before the lock), or _UNREADABLE for anything but plain digits as a button renders."""
    posted = request.POST.get("credits")
    if posted is None or posted == "":
        return None
    if not _CREDITS_POSTED.fullmatch(posted):
        return _UNREADABLE
    return Decimal(posted)


@contributor_required
@require_POST
def generation_continue(request, generation_id: int):
    """Add the video's last frame to the user's library and to the composer."""
    generation = _get_generation_for_user(request, generation_id)
    if not generation.last_frame_file:
        raise Http404("This video has no last frame.")
    name = f"{generation.project.name} - video {generation.pk} last frame.png"
    try:
        with generation.last_frame_file.open("rb") as frame:
            asset, _ = ReferenceAsset.objects.create_from_upload(
                File(frame, name=name), owner=request.user, team=request.team
            )
    except MediaError as error:
        return _refused(request, generation, f"The last frame could not be added: {error}")
    except OSError:
        return _refused(request, generation, "The last frame's file is missing from storage.")
    if not _partial_request(request):
        messages.success(request, f"The last frame of video {generation.pk} is in the composer.")
        return redirect(
            reverse("project_detail", args=[generation.project_id]) + f"?add={asset.pk}#composer"
        )
    response = HttpResponse(status=204)
    return trigger_client_event(response, "composerAdd", {"references": [reference_data(asset)]})


def _refused(request, generation, message: str):
    """An action that could not be done: the reason, on the page it came from."""
    messages.error(request, message)
    if not _partial_request(request):
        return redirect("project_detail", generation.project_id)
    return render(request, "partials/messages_oob.html", status=422)


@team_required
@require_POST
def generation_archive(request, generation_id: int):
    generation = _get_generation_for_user(request, generation_id)
    if not generation.is_finished:
        return _refused(
            request, generation, f"Video {generation.pk} is still being made: archive it once done."
        )
    generation.archive()
    messages.success(request, f"Video {generation.pk} archived.")
    if not _partial_request(request):
        return redirect("project_detail", generation.project_id)
    return render(request, "partials/messages_oob.html")


@team_required
@require_POST
def generation_unarchive(request, generation_id: int):
    """Back on the project page, from the list of archived videos."""
    generation = _get_generation_for_user(request, generation_id)
    generation.unarchive()
    messages.success(request, f"Video {generation.pk} restored to the project page.")
    if not _partial_request(request):
        return redirect(reverse("project_detail", args=[generation.project_id]) + "?archived=1")
    return render(request, "partials/messages_oob.html")


@team_required
def generation_download(request, generation_id: int):
    generation = _get_generation_for_user(request, generation_id)
    if not generation.output_file:
        raise Http404("This video has no file yet.")
    try:
        video = generation.output_file.open("rb")
    except OSError:
        raise Http404("This video's file is missing from storage.") from None
    return FileResponse(
        video, as_attachment=True, filename=f"{generation.project.name} - video {generation.pk}.mp4"
    )


@team_required
def composer_picker(request, project_id: int):
    """The references the user can add: their assets, the team's shared ones, characters."""
    project = _get_project_for_user(request, project_id)
    text = request.GET.get("q", "").strip()[:100]
    kind = request.GET.get("kind", "")
    assets = ReferenceAsset.objects.visible_to(request.user, request.team).active()
    characters = Character.objects.visible_to(request.user, request.team).with_images()
    asset_id = request.GET.get("asset", "")
    if asset_id.isascii() and asset_id.isdigit():
        assets, characters = assets.filter(pk=int(asset_id)), characters.none()
    if text:
        assets, characters = assets.search(text), characters.search(text)
    if kind in (Kind.IMAGE, Kind.VIDEO, Kind.AUDIO):
        assets, characters = assets.filter(kind=kind), characters.none()
    elif kind == "character":
        assets = assets.none()
    context = {
        "project": project,
        "assets": [
            (a, [reference_data(a)]) for a in assets.select_related("owner")[:PICKER_RESULTS]
        ],
        "characters": [(c, character_data(c)) for c in characters[:PICKER_RESULTS]],
        "picker_kinds": PICKER_KINDS,
        "q": text,
        "kind": kind,
    }
    template_name = PICKER_PAGE
    if _partial_request(request):
        template_name += "#results"
    return render(request, template_name, context)
