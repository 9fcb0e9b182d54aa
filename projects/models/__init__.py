from projects.models.generation import Generation
from projects.models.library import *  # noqa: F403
from projects.models.project import Project
from projects.models.teams import Membership, Team

__all__ = ["Generation", "Membership", "Project", "Team"]
