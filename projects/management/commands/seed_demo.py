from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from projects.models import Membership, Team

DEMO_PASSWORD = "kinovi-demo"
DEMO_USERS = [
    # username, role, is_staff
    ("ada", Membership.Role.ADMIN, True),
    ("max", Membership.Role.MEMBER, False),
]


class Command(BaseCommand):
    help = "Creates the demo team with an admin and a member (idempotent) and prints the logins."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        team, _ = Team.objects.get_or_create(slug="demo-studio", defaults={"name": "Demo Studio"})
        for username, role, is_staff in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = is_staff
            user.save()
            team.add_member(user, role)
        self.stdout.write("Demo logins (team “Demo Studio”):")
        for username, role, is_staff in DEMO_USERS:
            extra = ", staff" if is_staff else ""
            self.stdout.write(f"  {username} / {DEMO_PASSWORD}   ({role}{extra})")
