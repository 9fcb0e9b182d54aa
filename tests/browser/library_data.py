"""A library worth looking at, stored through the real upload path (on moto S3).

Images of three shapes (portrait, landscape, square) so a test can tell a
stretched or cropped preview from one in its own aspect ratio, and look-alikes
(portrait.png and portrait.jpg, a teammate's portrait.png, a team character and
its personal copy) so the cards must say what tells them apart.
"""

import io
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from projects.models import Character, ReferenceAsset

# name: (width, height, colour)
SHAPES = {
    "portrait": (240, 400, (196, 120, 90)),
    "landscape": (480, 270, (70, 120, 170)),
    "square": (256, 256, (110, 150, 100)),
}


def picture(width: int, height: int, colour: tuple[int, int, int], image_format: str) -> bytes:
    """A small scene: a sky-to-colour gradient with a circle, so shape shows."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / max(height - 1, 1)
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(235 * (1 - t) + c * t) for c in colour),
        )
    radius = min(width, height) // 4
    cx, cy = width // 2, height // 2
    draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=(250, 240, 220))
    out = io.BytesIO()
    image.save(out, image_format)
    return out.getvalue()


def upload(owner, team, filename: str, data: bytes, *, shared=False) -> ReferenceAsset:
    asset, _ = ReferenceAsset.objects.create_from_upload(
        SimpleUploadedFile(filename, data), owner=owner, team=team
    )
    if shared:
        asset.shared = True
        asset.save(update_fields=["shared"])
    return asset


def image(owner, team, shape: str, filename: str, *, shared=False, shade=0) -> ReferenceAsset:
    width, height, colour = SHAPES[shape]
    colour = tuple(min(255, c + shade) for c in colour)
    image_format = "JPEG" if filename.endswith(".jpg") else "PNG"
    return upload(
        owner, team, filename, picture(width, height, colour, image_format), shared=shared
    )


@dataclass
class Library:
    assets: list[ReferenceAsset] = field(default_factory=list)
    team_character: Character | None = None
    personal_copy: Character | None = None


def make_library(alice, bob, team) -> Library:
    """alice's files (some shared), bob's shared portrait, a team character
    of six images and alice's personal copy of it."""
    library = Library()
    library.assets = [
        image(alice, team, "portrait", "portrait.png", shared=True),
        image(alice, team, "portrait", "portrait.jpg"),
        image(alice, team, "landscape", "street at dusk.png", shared=True),
        image(alice, team, "square", "mira close-up.png", shared=True, shade=20),
        image(alice, team, "landscape", "rooftop wide.jpg", shared=True, shade=-30),
        image(alice, team, "portrait", "mira full length.png", shared=True, shade=30),
        image(bob, team, "portrait", "portrait.png", shared=True, shade=-40),
    ]
    mira = Character.objects.create(
        team=team, owner=None, created_by=alice, name="Mira", handle="mira"
    )
    mira.set_images(library.assets[:6], library.assets[3], by=alice)
    library.team_character = mira
    library.personal_copy = mira.copy_to(owner=alice, user=alice)
    return library
