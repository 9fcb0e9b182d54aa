"""Review: the project's review board, a video's review page, compare, sharing, and the
pages a client review link opens.

Members reach a project here when they own it or it is shared with them (viewer or
reviewer); everyone else gets 404. Composing and spending stay on the owner's project
page. A client link's pages show no prompt, seed, reference, price or member name.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from projects.decorators import team_required
from projects.forms.review import (
    ClientCommentForm,
    ClientDecisionForm,
    CommentForm,
    LinkPasswordForm,
    MailPreferenceForm,
    ReviewLinkForm,
    ShareForm,
    VerdictForm,
)
from projects.htmx import vary_on_htmx
from projects.models import Generation, GenerationReference, MailPreference
from projects.models.review import (
    STATE_KEYS,
    Comment,
    ProjectShare,
    ReviewAccess,
    ReviewLink,
    State,
    access_for,
    add_comment,
    client_decide,
    order_selected_first,
    reviewable,
    set_state,
    share,
    with_comment_counts,
)
from projects.models.review_spend import review_figures
from projects.ranges import file_response
from projects.views.credits import _report_form, admin_required
from projects.views.projects import _check_id

BOARD_PAGE = "projects/review/board.html"
VIDEO_PAGE = "projects/review/video.html"
COMPARE_PAGE = "projects/review/compare.html"
SHARING_PAGE = "projects/review/sharing.html"
SHARED_PAGE = "projects/review/shared.html"
CLIENT_PAGE = "projects/review/client.html"
CLIENT_CLOSED_PAGE = "projects/review/client_closed.html"
TAKES_PER_PAGE = 60
COMPARE_MIN, COMPARE_MAX = 2, 4
# What a tile, a compare column and a client page read of a video.
TAKE_FIELDS = (
    "project_id",
    "prompt",
    "duration",
    "aspect_ratio",
    "model",
    "seed",
    "output_file",
    "poster_file",
    "output_width",
    "output_height",
    "created_at",
    "credits_used",
)
LINK_SESSION_KEY = "review_link_{}"


def _partial(request) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def _get_access_for_user(request, project_id: int) -> ReviewAccess:
    """The project, when the user owns it or it is shared with them; 404 otherwise."""
    _check_id(project_id)
    access = access_for(request.user, request.team, project_id)
    if access is None:
        raise Http404("No such project.")
    return access


def _get_take_for_user(request, generation_id: int) -> tuple[Generation, ReviewAccess]:
    """A video of a project the user owns or is shared; 404 otherwise."""
    _check_id(generation_id)
    project_id = (
        Generation.objects.filter(pk=generation_id).values_list("project_id", flat=True).first()
    )
    if project_id is None:
        raise Http404("No such video.")
    access = _get_access_for_user(request, project_id)
    generation = get_object_or_404(
        reviewable(Generation.objects.filter(project_id=project_id)), pk=generation_id
    )
    generation.project = access.project
    return generation, access


def _refuse(request, message: str, status: int, back: str):
    messages.error(request, message)
    if _partial(request):
        return render(request, "partials/messages_oob.html", status=status)
    return redirect(back)


def _board_url(project_id: int) -> str:
    return reverse("review_board", args=[project_id])


@team_required
def review_board(request, project_id: int):
    """The project's finished videos, selected first, filtered by verdict."""
    access = _get_access_for_user(request, project_id)
    return render(request, BOARD_PAGE, board_context(request, access))


def board_context(request, access: ReviewAccess) -> dict:
    """Everything the review board shows (bench/review.py renders it once more)."""
    state = request.GET.get("state", "")
    takes = reviewable(access.project.generations.all())
    if state in State.values:
        takes = takes.filter(review_state=state)
    else:
        state = ""
    takes = with_comment_counts(order_selected_first(takes.only(*TAKE_FIELDS)))
    page = Paginator(takes, TAKES_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "project": access.project,
        "access": access,
        "page": page,
        "state": state,
        "states": State.choices,
        "state_keys": STATE_KEYS,
    }


@team_required
@require_POST
def review_verdict(request, generation_id: int):
    """Owner and reviewers: give the video a verdict (recorded with who and when)."""
    generation, access = _get_take_for_user(request, generation_id)
    back = request.POST.get("back") == "compare"
    if not access.can_judge:
        return _refuse(
            request,
            "Viewers watch and comment: only the owner and reviewers give verdicts.",
            403,
            _board_url(generation.project_id),
        )
    form = VerdictForm(request.POST)
    if not form.is_valid():
        return _refuse(
            request,
            "Choose a verdict: selected, changes requested or rejected.",
            400,
            _board_url(generation.project_id),
        )
    state = form.cleaned_data["state"]
    set_state(generation, state, request.user)
    messages.success(request, f"Video {generation.pk}: {State(state).label.lower()}.")
    if not _partial(request):
        return redirect(_board_url(generation.project_id))
    generation.review_state = state
    generation.open_comments = Comment.objects.filter(
        generation=generation, resolved_at__isnull=True
    ).count()
    context = {"take": generation, "access": access, "state_keys": STATE_KEYS}
    template = COMPARE_PAGE + "#verdict" if back else BOARD_PAGE + "#tile"
    html = render(request, template, context).content.decode()
    html += render(request, "partials/messages_oob.html").content.decode()
    return HttpResponse(html)


def _comments_of(generation):
    return list(Comment.objects.filter(generation=generation).select_related("author"))


@team_required
def review_video(request, generation_id: int):
    """One video: its player, its verdict, and the comments on it (click one to seek)."""
    generation, access = _get_take_for_user(request, generation_id)
    template = VIDEO_PAGE
    if _partial(request) and request.GET.get("part") == "list":
        template += "#comment-list"  # what the page polls: comments arrive live
    return render(request, template, _video_context(generation, access, CommentForm()))


def _video_context(generation, access, form) -> dict:
    return {
        "project": access.project,
        "access": access,
        "take": generation,
        "comments": _comments_of(generation),
        "form": form,
        "state_keys": STATE_KEYS,
        "references": _references_of([generation.pk]).get(generation.pk, []),
    }


@team_required
@require_POST
def comment_add(request, generation_id: int):
    generation, access = _get_take_for_user(request, generation_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        context = _video_context(generation, access, form)
        if _partial(request):
            return render(request, VIDEO_PAGE + "#comments", context, status=422)
        return render(request, VIDEO_PAGE, context, status=422)
    data = form.cleaned_data
    add_comment(generation, data["body"], data["at_seconds"], author=request.user)
    if _partial(request):
        return render(
            request, VIDEO_PAGE + "#comments", _video_context(generation, access, CommentForm())
        )
    messages.success(request, "Comment added.")
    return redirect("review_video", generation.pk)


@team_required
@require_POST
def comment_resolve(request, comment_id: int):
    """Resolve a comment, or open it again (owner, reviewers and its author)."""
    _check_id(comment_id)
    generation_id = (
        Comment.objects.filter(pk=comment_id).values_list("generation_id", flat=True).first()
    )
    if generation_id is None:
        raise Http404("No such comment.")
    generation, access = _get_take_for_user(request, generation_id)
    comment = get_object_or_404(Comment, pk=comment_id)
    if not (access.can_judge or comment.author_id == request.user.pk):
        return _refuse(
            request,
            "Only the owner, reviewers and its author resolve a comment.",
            403,
            reverse("review_video", args=[generation.pk]),
        )
    if comment.is_resolved:
        comment.reopen()
    else:
        comment.resolve(request.user)
    if _partial(request):
        return render(
            request, VIDEO_PAGE + "#comments", _video_context(generation, access, CommentForm())
        )
    return redirect("review_video", generation.pk)


def _references_of(generation_ids) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {pk: [] for pk in generation_ids}
    rows = (
        GenerationReference.objects.filter(generation__in=list(found))
        .order_by("generation_id", "kind", "position")
        .values("generation_id", "kind", "position", "label", "handle", "asset__thumbnail_url")
    )
    for row in rows:
        found[row["generation_id"]].append(row)
    return found


def _chosen_ids(request) -> list[int]:
    ids = []
    for value in request.GET.getlist("v"):
        if value.isascii() and value.isdigit() and len(value) < 19 and int(value) not in ids:
            ids.append(int(value))
    return ids


@team_required
def review_compare(request, project_id: int):
    """2-4 videos side by side, played in sync, each with its prompt, references, seed."""
    access = _get_access_for_user(request, project_id)
    ids = _chosen_ids(request)
    takes = []
    if COMPARE_MIN <= len(ids) <= COMPARE_MAX:
        found = {
            take.pk: take
            for take in reviewable(access.project.generations.filter(pk__in=ids)).only(*TAKE_FIELDS)
        }
        takes = [found[pk] for pk in ids if pk in found]
    if len(takes) < COMPARE_MIN or len(takes) != len(ids):
        messages.error(
            request,
            f"Choose {COMPARE_MIN} to {COMPARE_MAX} finished videos of this project to compare.",
        )
        return render(
            request,
            COMPARE_PAGE,
            {"project": access.project, "access": access, "takes": []},
            status=400,
        )
    references = _references_of([take.pk for take in takes])
    for take in takes:
        take.project = access.project
        take.reference_rows = references[take.pk]
    return render(
        request,
        COMPARE_PAGE,
        {
            "project": access.project,
            "access": access,
            "takes": takes,
            "compare_url": request.get_full_path(),
        },
    )


def _get_own_project(request, project_id: int) -> ReviewAccess:
    """Sharing and links are the owner's: a reviewer or viewer gets 404 like anyone."""
    access = _get_access_for_user(request, project_id)
    if not access.is_owner:
        raise Http404("No such project.")
    return access


def _sharing_context(project, share_form, link_form, new_link_url="") -> dict:
    return {
        "project": project,
        "shares": ProjectShare.objects.filter(project=project).select_related("user"),
        "links": ReviewLink.objects.filter(project=project),
        "share_form": share_form,
        "link_form": link_form,
        "new_link_url": new_link_url,
        "now": timezone.now(),
    }


@team_required
def project_sharing(request, project_id: int):
    """Share the project with teammates (viewer, reviewer); manage client links."""
    project = _get_own_project(request, project_id).project
    share_form = ShareForm(request.POST or None, project=project)
    status = 200
    if request.method == "POST":
        if share_form.is_valid():
            data = share_form.cleaned_data
            share(project, data["member"], data["role"])
            messages.success(
                request, f"Shared with {data['member'].get_username()} as {data['role']}."
            )
            return redirect("project_sharing", project.pk)
        status = 400
    context = _sharing_context(project, share_form, ReviewLinkForm(project=project))
    return render(request, SHARING_PAGE, context, status=status)


@team_required
@require_POST
def share_remove(request, share_id: int):
    _check_id(share_id)
    shared = get_object_or_404(
        ProjectShare.objects.select_related("project", "user"),
        pk=share_id,
        project__owner=request.user,
        project__team=request.team,
    )
    shared.delete()
    messages.success(request, f"{shared.user.get_username()} no longer sees this project.")
    return redirect("project_sharing", shared.project_id)


@team_required
@require_POST
def link_create(request, project_id: int):
    project = _get_own_project(request, project_id).project
    form = ReviewLinkForm(request.POST, project=project)
    if not form.is_valid():
        context = _sharing_context(project, ShareForm(project=project), form)
        return render(request, SHARING_PAGE, context, status=400)
    data = form.cleaned_data
    _, token = ReviewLink.create(
        project,
        by=request.user,
        generations=data["generation"],
        whole_project=data["whole_project"],
        title=data["title"],
        password=data["password"],
        lifetime=timedelta(days=data["days"]),
    )
    url = request.build_absolute_uri(reverse("client_review", args=[token]))
    messages.success(request, "Review link made: copy it now, it is shown only once.")
    context = _sharing_context(project, ShareForm(project=project), ReviewLinkForm(project=project))
    context["new_link_url"] = url
    return render(request, SHARING_PAGE, context, status=201)


@team_required
@require_POST
def link_revoke(request, link_id: int):
    _check_id(link_id)
    link = get_object_or_404(
        ReviewLink, pk=link_id, project__owner=request.user, project__team=request.team
    )
    link.revoke()
    messages.success(request, "Review link revoked: it opens nothing any more.")
    return redirect("project_sharing", link.project_id)


@team_required
def shared_with_me(request):
    shares = (
        ProjectShare.objects.for_user(request.user, request.team)
        .filter(project__archived_at__isnull=True)
        .select_related("project", "project__owner")
        .order_by("-project__updated_at")
    )
    return render(request, SHARED_PAGE, {"shares": shares})


# ---------------------------------------------------------------------------------------
# The client's pages: no account, a link's token.


class LinkClosed(Exception):
    pass


def _get_link_for_visitor(request, token: str) -> ReviewLink:
    """The live link `token` opens, counted against its rate limit.

    404 for no such link; 410 for one that expired or was revoked; 429 past 60 requests
    a minute (raised as responses by the callers).
    """
    link = ReviewLink.objects.for_token(token)
    if link is None:
        raise Http404("No such review link.")
    if not link.is_live:
        raise LinkClosed()
    return link


def _client_view(view):
    """Open the link, apply its rate limit and its password, then run the view."""

    def wrapper(request, token: str, *args, **kwargs):
        try:
            link = _get_link_for_visitor(request, token)
        except LinkClosed:
            return render(request, CLIENT_CLOSED_PAGE, status=410)
        if not link.allow_request():
            response = HttpResponse(
                "Too many requests on this review link: wait a minute and try again.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = "60"
            return response
        if link.has_password and not request.session.get(LINK_SESSION_KEY.format(link.pk)):
            return _password_page(request, link, token)
        return view(request, link, token, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    wrapper.__module__ = view.__module__
    return wrapper


def _password_page(request, link, token):
    form = LinkPasswordForm(request.POST or None)
    if request.method == "POST" and "password" in request.POST:
        if form.is_valid() and link.check_password(form.cleaned_data["password"]):
            request.session[LINK_SESSION_KEY.format(link.pk)] = True
            return redirect("client_review", token)
        form.add_error("password", "That is not the password of this link.")
        status = 403
    else:
        status = 401
    return render(
        request, "projects/review/client_password.html", {"form": form, "link": link}, status=status
    )


def _client_takes(link):
    return list(link.takes().only(*TAKE_FIELDS))


def _client_context(link, token, failed_take=None, comment_form=None, decision_form=None):
    """The link's videos, each with its forms (ids unique per video); a refused form is
    shown again, with its errors, under the video it was for."""
    takes = _client_takes(link)
    comments: dict[int, list] = {take.pk: [] for take in takes}
    for comment in Comment.objects.filter(link=link, generation__in=list(comments)):
        comments[comment.generation_id].append(comment)
    for take in takes:
        take.client_comments = comments[take.pk]
        take.video_url = reverse(
            "client_media", args=[token, take.pk, "video", link.media_signature(take.pk, "video")]
        )
        take.poster_url = (
            reverse(
                "client_media",
                args=[token, take.pk, "poster", link.media_signature(take.pk, "poster")],
            )
            if take.poster_file
            else ""
        )
        mine = failed_take is not None and take.pk == failed_take.pk
        take.comment_form = (comment_form if mine and comment_form else None) or (
            ClientCommentForm(auto_id=f"comment-{take.pk}-%s")
        )
        take.decision_form = (decision_form if mine and decision_form else None) or (
            ClientDecisionForm(auto_id=f"decision-{take.pk}-%s")
        )
    return {
        "link": link,
        "token": token,
        "takes": takes,
        "decisions": {
            record.generation_id: record for record in reversed(list(link.decisions.all()))
        },
    }


def _client_take(link, take_id: int) -> Generation:
    _check_id(take_id)
    take = link.takes().filter(pk=take_id).first()
    if take is None:
        raise Http404("This link shows no such video.")
    return take


@_client_view
def client_review(request, link, token):
    """What a client sees: the chosen videos, their comments, approve or ask for changes."""
    return render(request, CLIENT_PAGE, _client_context(link, token))


@require_POST
@_client_view
def client_comment(request, link, token, take_id: int):
    take = _client_take(link, take_id)
    form = ClientCommentForm(request.POST, auto_id=f"comment-{take.pk}-%s")
    if not form.is_valid():
        context = _client_context(link, token, take, comment_form=form)
        return render(request, CLIENT_PAGE, context, status=400)
    data = form.cleaned_data
    take.project = link.project
    add_comment(take, data["body"], data["at_seconds"], link=link, name=data["name"])
    messages.success(request, "Thank you: your comment is with the team.")
    return redirect(reverse("client_review", args=[token]) + f"#take-{take.pk}")


@require_POST
@_client_view
def client_decision(request, link, token, take_id: int):
    take = _client_take(link, take_id)
    form = ClientDecisionForm(request.POST, auto_id=f"decision-{take.pk}-%s")
    if not form.is_valid():
        context = _client_context(link, token, take, decision_form=form)
        return render(request, CLIENT_PAGE, context, status=400)
    data = form.cleaned_data
    take.project = link.project
    client_decide(take, link, data["decision"], data["name"])
    messages.success(request, "Thank you: the team has your answer.")
    return redirect(reverse("client_review", args=[token]) + f"#take-{take.pk}")


@_client_view
def client_media(request, link, token, take_id: int, what: str, signature: str):
    """A video or poster of the link, by a URL signed for this link alone."""
    if what not in ("video", "poster") or not link.signature_matches(take_id, what, signature):
        raise Http404("No such file.")
    take = _client_take(link, take_id)
    stored = take.output_file if what == "video" else take.poster_file
    return _stored_file(request, stored, "video/mp4" if what == "video" else None)


def _stored_file(request, stored, content_type):
    if not stored:
        raise Http404("No such file.")
    try:
        response = file_response(request, stored, content_type)
    except OSError:
        raise Http404("This file is missing from storage.") from None
    response["Cache-Control"] = "private, max-age=300"
    return response


@team_required
def review_file(request, generation_id: int):
    """The video of a review page, seekable (answered by byte range)."""
    generation, _ = _get_take_for_user(request, generation_id)
    return _stored_file(request, generation.output_file, "video/mp4")


@login_required
def mail_preferences(request):
    """Opt in to "video done" mail (at most one a minute) and to review activity mail."""
    preference, _ = MailPreference.objects.get_or_create(user=request.user)
    form = MailPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Mail settings saved.")
        return redirect("mail_preferences")
    return render(request, "projects/review/mail.html", {"form": form})


@admin_required
@vary_on_htmx
def spend_review(request):
    """The spend report's review figures for its filters: cost per selected second by
    project and member, spend on rejected videos, videos per selected one."""
    form = _report_form(request)
    if not form.is_valid():
        return HttpResponse(
            " ".join(str(error) for errors in form.errors.values() for error in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    template = "projects/review/spend.html"
    if _partial(request):
        template += "#figures"
    return render(
        request,
        template,
        {
            "figures": review_figures(form.scope()),
            "query": request.GET.urlencode(),
            "nav": "report",
        },
    )
