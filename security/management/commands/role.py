"""Give a user one of the three roles (or show users' roles)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from m365admin import audit
from security import roles


class Command(BaseCommand):
    help = "Give USERNAME the role viewer, operator or administrator; without a role, show it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", nargs="?", choices=[r.lower() for r in roles.ROLES])

    def handle(self, *args, username: str, role: str | None, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}; create one with createsuperuser or in the "
                               "admin first")
        if role is None:
            self.stdout.write(f"{username}: {roles.role_of(user) or 'no role'}")
            return
        role = role.capitalize()
        roles.assign(user, role)
        audit.record("user.role", user, {"role": role})
        self.stdout.write(f"{username} is now {role}.")
