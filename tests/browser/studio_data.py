"""Small builders of the data real teams have: names of 40+ characters, a character of
nine look-alike images whose file names differ only at the end, long project names.

Stored through the real upload path (on moto S3), like library_data.
"""

from projects.models import Character, Project
from tests.browser.library_data import image

LONG_CHARACTER = "Mira Okonkwo-Valdés, the night market courier (hero)"
LONG_PROJECT = "Night market teaser — director's cut for the festival submission v3"
MIRA_FILES = [
    f"mira_reference_portrait_studio_lighting_take_{number:02d}.png" for number in range(1, 10)
]
SHAPES = ["portrait", "landscape", "square"]


def nine_image_character(owner, team) -> Character:
    """A team character of nine images named mira_reference_…_take_01 to _09."""
    assets = [
        image(owner, team, SHAPES[index % 3], name, shared=True, shade=index * 8)
        for index, name in enumerate(MIRA_FILES)
    ]
    character = Character.objects.create(
        team=team, owner=None, created_by=owner, name=LONG_CHARACTER, handle="mira_okonkwo"
    )
    character.set_images(assets, assets[0], by=owner)
    return character


def long_named_project(owner, team) -> Project:
    return Project.objects.create(team=team, owner=owner, name=LONG_PROJECT)
