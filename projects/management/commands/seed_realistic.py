from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from projects.management.commands.seed_demo import DEMO_PASSWORD
from projects.models import Membership, Team
from tests.fixtures.realistic import seed_realistic_studio


class Command(BaseCommand):
    help = (
        "Adds a realistic studio (long names, a nine-image character, videos in every state, "
        "members near their budgets, a month of spend) to a new team, for a look by hand."
    )

    def add_arguments(self, parser):
        parser.add_argument("--team", default="realistic-studio", help="slug of the new team")
        parser.add_argument("--owner", default="ada", help="who owns the main project")

    def handle(self, *args, team, owner, **options):
        if Team.objects.filter(slug=team).exists():
            raise CommandError(f"Team {team!r} exists already: choose another --team.")
        user, created = get_user_model().objects.get_or_create(
            username=owner, defaults={"email": f"{owner}@example.com"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        studio_team = Team.objects.create(name="Northlight Studio", slug=team)
        studio_team.add_member(user, Membership.Role.ADMIN)
        studio = seed_realistic_studio(studio_team, user)
        self.stdout.write(
            f"Team “{studio_team.name}”: {user.username} owns “{studio.project.name}” "
            f"(/projects/{studio.project.pk}/), with "
            f"{studio.project.generations.count()} videos; members "
            + ", ".join(m.username for m in studio.members)
            + f" (password {DEMO_PASSWORD})."
        )
