"""The user guide's screenshots (docs/user-guide/), taken from the running application.

Every screen of the guide is opened here as the role the guide describes, in English and in
Simplified Chinese, and checked to render (its heading, no server error). The images are
written only when asked: ``make docs-screens`` (``EDC_DOCS_SCREENS=1``) rewrites
``docs/user-guide/img/<screen>.<en|zh>.png``; a normal test run writes nothing.

The pictures must not change between runs when the application did not: the clock is frozen
(server and browser), the data come from the demo loader with its fixed seed, sequences
restart at 1, and the viewport and locale are fixed. Images are palette-quantised PNGs
(Pillow) so the guide stays small.
"""

from __future__ import annotations

import datetime
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from django.utils import translation

from tests.factories import DEFAULT_PASSWORD, SiteFactory, user_with_role
from trial.demo import demo_allocation_list, demo_trial_load
from trial.management.commands.demo_setup import DEMO_SITES, DEMO_USERS
from trial.models import FormInstance, Participant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, reset_sequences=True)]

IMG_DIR = Path(__file__).resolve().parents[2] / "docs" / "user-guide" / "img"
WRITE = os.environ.get("EDC_DOCS_SCREENS", "") not in ("", "0")
# A Monday morning in the trial's wards; every date on the screens follows from it.
FROZEN = datetime.datetime(2026, 3, 16, 2, 30, tzinfo=datetime.UTC)
VIEWPORT = {"width": 1280, "height": 800}
LANGUAGES = {"en": ("en", "en-GB"), "zh": ("zh-hans", "zh-CN")}
MAX_BYTES = 150_000
# Every stylesheet of the page loaded (a missing one leaves an unstyled page to photograph).
STYLED = """() => {
    const links = [...document.querySelectorAll("link[rel=stylesheet]")];
    return links.length > 0 && links.every(link => link.sheet && link.sheet.cssRules.length > 0);
}"""


def t(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


@dataclass(frozen=True)
class Guide:
    """The demo trial the screenshots show."""

    screening: Participant  # registered, not yet assessed
    consented: Participant  # eligible and consented, not randomized
    in_follow_up: Participant  # randomized, discharged, 3-month visit to come
    completed: Participant  # every visit done
    queried: FormInstance  # a complete form with an open query


def guide_trial() -> Guide:
    """Load the demo trial at one site through the services (fixed seed, frozen clock)."""
    from trial.services.queries import query_raise

    # the demo's first site and its users (``make run``), so the guide shows what the demo shows
    code, name, name_zh, time_zone = DEMO_SITES[0]
    site = SiteFactory(code=code, name=name, name_zh=name_zh, time_zone=time_zone)
    users = {
        username: user_with_role(
            role,
            site=site if site_code else None,
            username=username,
            first_name=first,
            last_name=last,
            is_staff=staff,
            is_superuser=staff,
        )
        for username, first, last, role, site_code, staff in DEMO_USERS
        if site_code in (None, code)
    }
    demo_allocation_list(actor=users["statistician"])
    participants = demo_trial_load(actor=users["nurse"], site=site)
    completed = participants[-1]
    queried = (
        FormInstance.objects.filter(participant=completed, form_code="baseline")
        .order_by("pk")
        .first()
    )
    query_raise(
        actor=users["datamanager"],
        form_instance=queried,
        field="weight_kg",
        text="The weight differs from the anaesthesia record (72 kg). Please check the source.",
    )
    return Guide(
        screening=participants[0],
        consented=participants[2],
        in_follow_up=participants[-2],
        completed=completed,
        queried=queried,
    )


def save_png(png: bytes, path: Path) -> int:
    """Write ``png`` as a palette PNG (256 colours, optimised); return its size in bytes."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=True)
    path.write_bytes(buffer.getvalue())
    return len(buffer.getvalue())


class Camera:
    """Opens the guide's screens as one user in one language, and photographs them."""

    def __init__(self, browser, live_server, language: str) -> None:
        self.language, locale = LANGUAGES[language]
        self.suffix = language
        self.context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            timezone_id="Asia/Shanghai",
            viewport=VIEWPORT,
            device_scale_factor=1,
            reduced_motion="reduce",
        )
        self.context.set_default_timeout(20_000)
        self.context.clock.set_fixed_time(FROZEN)
        self.page = self.context.new_page()
        self.refused: list[str] = []
        self.page.on(
            "console",
            lambda m: self.refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        self.taken: list[str] = []

    def login(self, username: str) -> None:
        page = self.page
        page.context.clear_cookies()
        self.login_page()
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEFAULT_PASSWORD)
        page.get_by_role("button", name=t(self.language, "Log in")).click()
        page.wait_for_url("**/home/")

    def login_page(self) -> None:
        """Open the log-in page in the camera's language (the switcher reloads the page)."""
        self.page.goto("/login/")
        if self.language != "en":
            with self.page.expect_navigation():
                self.page.select_option("#language-select", self.language)
        self.page.get_by_role("button", name=t(self.language, "Log in")).wait_for()

    def open(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None, url
        assert response.status == 200, f"{url}: {response.status}"
        self.page.wait_for_load_state("networkidle")

    def shot(self, name: str) -> None:
        """Check the screen rendered (one main heading, in the page's language); photograph it."""
        page = self.page
        heading = page.locator("main h1, h1").first
        assert heading.is_visible(), f"{name}: no heading"
        assert page.locator("html").get_attribute("lang") == self.language
        assert page.evaluate(STYLED), f"{name}: a stylesheet did not load"
        self.taken.append(name)
        if not WRITE:
            return
        IMG_DIR.mkdir(parents=True, exist_ok=True)
        page.mouse.move(0, 0)  # no hover highlight
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        size = save_png(page.screenshot(animations="disabled", caret="hide"), self.path(name))
        assert size < MAX_BYTES, f"{name}: {size} bytes"

    def scroll_to(self, selector: str) -> None:
        """Bring a part of the page (a form's review actions, …) to the middle of the screen."""
        target = self.page.locator(selector).first
        target.wait_for()
        target.evaluate("e => e.scrollIntoView({block: 'center'})")

    def path(self, name: str) -> Path:
        return IMG_DIR / f"{name}.{self.suffix}.png"

    def close(self) -> None:
        self.context.close()
        assert not self.refused, f"the Content-Security-Policy refused: {self.refused}"


def _detail(p: Participant) -> str:
    return f"/participants/{p.trial_id}/"


def _form(p: Participant, visit: str, form: str) -> str:
    return f"{_detail(p)}visits/{visit}/{form}/"


def research_nurse(cam: Camera, g: Guide) -> None:
    cam.login("nurse")
    cam.shot("nurse-home")
    cam.open("/participants/")
    cam.shot("nurse-participants")
    cam.open("/participants/new/")
    cam.shot("nurse-register")
    cam.open(_detail(g.consented))
    cam.shot("nurse-participant")
    cam.open(_detail(g.screening) + "eligibility/")
    cam.shot("nurse-eligibility")
    cam.open(_form(g.consented, "admission", "vas"))
    cam.shot("nurse-form")
    cam.open(_form(g.consented, "admission", "joa"))
    cam.page.get_by_test_id("save-complete").click()
    cam.page.wait_for_load_state("networkidle")
    cam.page.evaluate("() => window.scrollTo(0, 0)")  # the banner and the error summary
    cam.shot("nurse-form-errors")
    cam.open(_detail(g.consented) + "randomize/")
    cam.shot("nurse-randomize")
    cam.open("/worklist/")
    cam.shot("nurse-worklist")
    cam.open("/queries/")
    cam.shot("nurse-queries")
    cam.open(_form(g.completed, "admission", "baseline"))
    cam.shot("nurse-query-answer")


def investigator(cam: Camera, g: Guide) -> None:
    cam.login("investigator")
    cam.open("/dashboard/")
    cam.shot("investigator-dashboard")
    cam.open(_detail(g.completed))
    cam.shot("investigator-participant")
    cam.open(_form(g.completed, "month_3", "outcome"))
    cam.shot("investigator-form")
    cam.scroll_to("[data-testid=form-review]")
    cam.shot("investigator-sign")


def data_manager(cam: Camera, g: Guide) -> None:
    cam.login("datamanager")
    cam.open(_form(g.completed, "admission", "baseline"))
    cam.shot("datamanager-form")
    cam.scroll_to("[data-testid=form-review]")
    cam.shot("datamanager-review")
    cam.open("/queries/")
    cam.shot("datamanager-queries")
    cam.open("/data/lock/")
    cam.shot("datamanager-database-lock")
    cam.open("/data/releases/")
    cam.shot("datamanager-releases")
    cam.open("/audit/")
    cam.shot("datamanager-audit")


def statistician(cam: Camera, g: Guide) -> None:
    cam.login("statistician")
    cam.open("/reports/")
    cam.shot("statistician-reports")
    cam.open("/reports/sample-size/")
    cam.shot("statistician-sample-size")
    cam.open("/allocation/")
    cam.shot("statistician-allocation")
    cam.open("/data/releases/")
    cam.shot("statistician-releases")


def outcome_assessor(cam: Camera, g: Guide) -> None:
    cam.login("assessor")
    cam.open(_detail(g.completed))
    cam.shot("assessor-participant")


def administrator(cam: Camera, g: Guide) -> None:
    cam.login("admin")
    cam.open("/sites/")
    cam.shot("admin-sites")
    cam.open("/admin/")
    cam.shot("admin-admin")


def anonymous(cam: Camera, g: Guide) -> None:
    cam.login_page()
    cam.shot("login")


def dmc_member(cam: Camera, g: Guide) -> None:
    cam.login("dmc")
    cam.open("/dashboard/")
    cam.shot("dmc-dashboard")


TOURS: tuple[Callable[[Camera, Guide], None], ...] = (
    anonymous,
    research_nurse,
    investigator,
    data_manager,
    statistician,
    outcome_assessor,
    administrator,
    dmc_member,
)


@pytest.mark.requirement("DOC-002")
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_user_guide_screens_render(browser, live_server, settings, language):
    # the browser's cookies must outlive a clock frozen in the past
    settings.CSRF_COOKIE_AGE = None
    # the live server serves static files from the source folders (its finders), which have
    # no hashed names: without DEBUG the manifest storage would link CSS it cannot serve
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with time_machine.travel(FROZEN, tick=False):
        # given the demo trial
        guide = guide_trial()
        cam = Camera(browser, live_server, language)
        try:
            # when every role tours its screens, then each renders (and is photographed)
            for tour in TOURS:
                tour(cam, guide)
        finally:
            cam.close()
    # and every screen the guide shows is one taken here, in both languages
    shown = {
        match.group(1)
        for page in IMG_DIR.parent.glob("*.md")
        for match in re.finditer(r"\]\(img/([\w-]+)\.(?:en|zh)\.png\)", page.read_text("utf-8"))
    }
    assert shown, "the guide shows no screen"
    assert shown <= set(cam.taken), f"screens in the guide but not taken: {shown - set(cam.taken)}"
