from projects.models import Membership

SESSION_KEY = "current_team_id"


class CurrentTeamMiddleware:
    """Sets request.membership and request.team: the team the user works in now.

    The choice is kept in the session; without one (or when the user has left
    that team) the first of the user's teams is used.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.team = None
        if request.user.is_authenticated:
            memberships = Membership.objects.filter(user=request.user).select_related("team")
            chosen = request.session.get(SESSION_KEY)
            membership = None
            if chosen:
                membership = memberships.filter(team_id=chosen).first()
            if membership is None:
                membership = memberships.first()
            if membership is not None:
                request.membership = membership
                request.team = membership.team
        return self.get_response(request)
