"""Review: a video's verdict, comments on it, sharing a project, client review links.

Projects stay their owner's: only the owner composes and spends. A `ProjectShare` lets a
teammate watch and comment (viewer) or also give verdicts (reviewer); a `ReviewLink`
lets someone without an account watch chosen videos, comment under a name and approve
or ask for changes. Every verdict is a `VerdictRecord` row: who, when, what. This
domain builds on generations; nothing imports it.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from projects.models.generation import Generation
from projects.models.outbox import MailPreference, queue_mail
from projects.models.project import Project

LINK_LIFETIME = timedelta(days=7)
LINK_REQUESTS_PER_MINUTE = 60
COMMENT_MAX_CHARACTERS = 2000
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.+-]{1,150})")


class State(models.TextChoices):
    """A video's verdict, with the key that sets it on the review page."""

    PENDING = "pending", "Pending"
    SELECTED = "selected", "Selected"
    CHANGES = "changes", "Changes requested"
    REJECTED = "rejected", "Rejected"


# 1 selected, 2 changes requested, 3 rejected (the review page's keys).
STATE_KEYS = {"1": State.SELECTED, "2": State.CHANGES, "3": State.REJECTED}
# How the grid orders states: selected first.
STATE_ORDER = {State.SELECTED: 0, State.CHANGES: 1, State.PENDING: 2, State.REJECTED: 3}


class ClientDecision(models.TextChoices):
    APPROVED = "approved", "Approved"
    CHANGES = "changes", "Changes requested"


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer (watch, comment)"
    REVIEWER = "reviewer", "Reviewer (also verdicts)"


class ReviewAccess:
    """What the person on a review page may do in a project."""

    def __init__(self, project: Project, role: str):
        self.project = project
        self.role = role  # "owner", "reviewer" or "viewer"

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def can_judge(self) -> bool:
        return self.role in ("owner", Role.REVIEWER)


def reviewable(generations):
    """Finished videos with a file, with `review_state` (pending without a verdict)."""
    return generations.filter(status=Generation.Status.SUCCESS, archived_at__isnull=True).annotate(
        review_state=Coalesce(F("verdict__state"), Value(State.PENDING))
    )


def order_selected_first(generations):
    return generations.annotate(
        state_rank=models.Case(
            *(
                models.When(review_state=state, then=Value(rank))
                for state, rank in STATE_ORDER.items()
            ),
            output_field=models.IntegerField(),
        )
    ).order_by("state_rank", "-created_at", "-id")


def with_comment_counts(generations):
    open_comments = (
        Comment.objects.filter(generation=OuterRef("pk"), resolved_at__isnull=True)
        .order_by()
        .values("generation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return generations.annotate(open_comments=Coalesce(Subquery(open_comments), Value(0)))


class ProjectShareQuerySet(models.QuerySet):
    def for_user(self, user, team):
        return self.filter(user=user, project__team=team)


class ProjectShare(models.Model):
    project = models.ForeignKey(Project, models.CASCADE, related_name="shares")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="shares")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProjectShareQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="one_share_per_member"),
        ]
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.project} shared with {self.user} ({self.role})"


def shareable_members(project: Project):
    """Teammates the owner may share with: the project's team, the owner excluded."""
    return (
        get_user_model()
        .objects.filter(memberships__team=project.team, is_active=True)
        .exclude(pk=project.owner_id)
        .order_by("username")
    )


def share(project: Project, user, role: str) -> ProjectShare:
    shared, _ = ProjectShare.objects.update_or_create(
        project=project, user=user, defaults={"role": role}
    )
    return shared


def access_for(user, team, project_id: int) -> ReviewAccess | None:
    """The user's role in the project (owner, reviewer, viewer), or None: one query."""
    project = (
        Project.objects.filter(pk=project_id, team=team)
        .filter(Q(owner=user) | Q(shares__user=user))
        .annotate(
            share_role=Subquery(
                ProjectShare.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1]
            )
        )
        .select_related("owner")
        .first()
    )
    if project is None:
        return None
    return ReviewAccess(project, "owner" if project.owner_id == user.pk else project.share_role)


class Verdict(models.Model):
    """A video's current verdict (none: pending); its history is in VerdictRecord."""

    generation = models.OneToOneField(
        Generation, models.CASCADE, primary_key=True, related_name="verdict"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"video {self.generation_id}: {self.state}"


class VerdictRecord(models.Model):
    """Every verdict given, by a member (`user`) or a client (`link`, `name`)."""

    generation = models.ForeignKey(Generation, models.CASCADE, related_name="verdict_records")
    state = models.CharField(max_length=10, choices=State.choices, blank=True)
    decision = models.CharField(max_length=10, choices=ClientDecision.choices, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    link = models.ForeignKey(
        "ReviewLink", models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    name = models.CharField(max_length=100, blank=True, help_text="The client's name.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["generation", "created_at"])]

    def __str__(self) -> str:
        return f"video {self.generation_id}: {self.state or self.decision}"


def set_state(generation: Generation, state: str, by) -> Verdict:
    """Give the video a verdict and record who gave it, in one transaction."""
    with transaction.atomic():
        verdict, _ = Verdict.objects.update_or_create(
            generation=generation,
            defaults={"state": state, "changed_at": timezone.now(), "changed_by": by},
        )
        VerdictRecord.objects.create(generation=generation, state=state, user=by)
    if by is not None and by.pk != generation.project.owner_id:
        _notify_owner(
            generation,
            f"{by.get_username()} marked video {generation.pk} “{State(state).label}”.",
        )
    return verdict


class Comment(models.Model):
    generation = models.ForeignKey(Generation, models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    link = models.ForeignKey(
        "ReviewLink", models.SET_NULL, null=True, blank=True, related_name="comments"
    )
    client_name = models.CharField(max_length=100, blank=True)
    body = models.TextField(max_length=COMMENT_MAX_CHARACTERS)
    # Seconds into the video, in 0.1 s steps; none: about the whole video.
    at_seconds = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("3600"))],
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["at_seconds", "created_at", "id"]
        indexes = [models.Index(fields=["generation", "resolved_at"])]

    def __str__(self) -> str:
        return self.body[:50]

    @property
    def by(self) -> str:
        if self.author_id:
            return self.author.get_username()
        return f"{self.client_name} (client)"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None

    def resolve(self, by) -> None:
        if self.resolved_at is None:
            self.resolved_at = timezone.now()
            self.resolved_by = by
            self.save(update_fields=["resolved_at", "resolved_by"])

    def reopen(self) -> None:
        if self.resolved_at is not None:
            self.resolved_at = None
            self.resolved_by = None
            self.save(update_fields=["resolved_at", "resolved_by"])


def people_with_access(project: Project):
    """The owner and everyone the project is shared with."""
    return get_user_model().objects.filter(Q(pk=project.owner_id) | Q(shares__project=project))


def mentioned(project: Project, body: str):
    """Members with access to the project whose username the text mentions (@name).

    A teammate the project isn't shared with is not told: the mail would name what
    they may not see.
    """
    names = {name.rstrip(".").lower() for name in MENTION.findall(body)}
    if not names:
        return []
    return [
        user
        for user in people_with_access(project).distinct()
        if user.get_username().lower() in names
    ]


def add_comment(generation: Generation, body: str, at_seconds, *, author=None, link=None, name=""):
    comment = Comment.objects.create(
        generation=generation,
        author=author,
        link=link,
        client_name=name,
        body=body,
        at_seconds=at_seconds,
    )
    project = generation.project
    where = f" at {at_seconds} s" if at_seconds is not None else ""
    who = author.get_username() if author else f"{name} (client)"
    for user in mentioned(project, body):
        if author is None or user.pk != author.pk:
            queue_mail(
                f"{who} mentioned you on video {generation.pk} of {project.name}",
                f"{who} wrote{where}: {body}\n\n{_review_url(generation)}",
                [user.email],
            )
    if author is None or author.pk != project.owner_id:
        _notify_owner(generation, f"{who} commented on video {generation.pk}{where}: {body}")
    return comment


def _review_url(generation: Generation) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("review_video", args=[generation.pk])


def _notify_owner(generation: Generation, line: str) -> None:
    """Mail the video's owner about a comment or verdict, if they asked for it."""
    owner = generation.project.owner
    if MailPreference.wants(owner, "review_activity"):
        queue_mail(
            f"Review of {generation.project.name}",
            f"{line}\n\n{_review_url(generation)}",
            [owner.email],
        )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ReviewLinkQuerySet(models.QuerySet):
    def live(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)

    def for_token(self, token: str) -> "ReviewLink | None":
        """The link `token` opens (live or not), or None."""
        if not token or len(token) > 100 or not token.isascii():
            return None
        return self.select_related("project").filter(token_hash=_token_hash(token)).first()


class ReviewLink(models.Model):
    """A link for a client: chosen videos or a whole project, for a limited time."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="review_links")
    title = models.CharField(max_length=200, blank=True, help_text="What the client sees.")
    token_hash = models.CharField(max_length=64, unique=True)
    # Signs its media URLs: they can't be worked out from the link's token.
    media_key = models.CharField(max_length=64)
    whole_project = models.BooleanField(default=False)
    generations = models.ManyToManyField(Generation, blank=True, related_name="review_links")
    password_hash = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A fixed one-minute window of requests, counted by a conditional update.
    window_started_at = models.DateTimeField(null=True, blank=True)
    window_requests = models.PositiveIntegerField(default=0)

    objects = ReviewLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title or f"Review link {self.pk}"

    @classmethod
    def create(
        cls,
        project,
        *,
        by,
        generations=(),
        whole_project=False,
        title="",
        password="",
        lifetime=LINK_LIFETIME,
    ) -> tuple["ReviewLink", str]:
        """A new link and its token (shown once: only its hash is kept)."""
        token = secrets.token_urlsafe(24)
        with transaction.atomic():
            link = cls.objects.create(
                project=project,
                title=title,
                token_hash=_token_hash(token),
                media_key=secrets.token_hex(32),
                whole_project=whole_project,
                password_hash=make_password(password) if password else "",
                created_by=by,
                expires_at=timezone.now() + lifetime,
            )
            if not whole_project:
                link.generations.set(generations)
        return link, token

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password(password, self.password_hash)

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def takes(self):
        """The finished videos the link shows, selected first."""
        generations = Generation.objects.filter(project=self.project_id)
        if not self.whole_project:
            generations = generations.filter(review_links=self)
        return order_selected_first(reviewable(generations))

    def allow_request(self, now=None) -> bool:
        """Count one request; False once the link had its 60 this minute."""
        now = now or timezone.now()
        window_start = now - timedelta(minutes=1)
        links = ReviewLink.objects.filter(pk=self.pk)
        restarted = links.filter(
            Q(window_started_at__isnull=True) | Q(window_started_at__lte=window_start)
        ).update(window_started_at=now, window_requests=1)
        if restarted:
            return True
        return bool(
            links.filter(
                window_started_at__gt=window_start,
                window_requests__lt=LINK_REQUESTS_PER_MINUTE,
            ).update(window_requests=F("window_requests") + 1)
        )

    def media_signature(self, generation_id: int, what: str) -> str:
        message = f"{self.pk}:{generation_id}:{what}".encode()
        key = (settings.SECRET_KEY + self.media_key).encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]

    def signature_matches(self, generation_id: int, what: str, signature: str) -> bool:
        return hmac.compare_digest(self.media_signature(generation_id, what), signature)


def client_decide(generation: Generation, link: ReviewLink, decision: str, name: str):
    record = VerdictRecord.objects.create(
        generation=generation, decision=decision, link=link, name=name
    )
    _notify_owner(
        generation,
        f"{name} (client) {ClientDecision(decision).label.lower()} video {generation.pk}.",
    )
    return record
