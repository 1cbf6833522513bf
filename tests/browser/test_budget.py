"""Capture and Queue are light enough for a conference hall's weak signal."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlsplit

import pytest
from browserlib import OWNER_EMAIL, log_in_without_pages

BUDGET = 30 * 1024
# The Queue of a busy morning: the bench's 50 follow-ups due, one card each.
DUE_PEOPLE = 50


def first_load(context, live_server, path: str) -> tuple[float, dict[str, float]]:
    """Bytes on the wire (gzip) of a first visit: the page and all it loads."""
    log_in_without_pages(context)
    page = context.new_page()
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.setCacheDisabled", {"cacheDisabled": True})
    urls: dict[str, str] = {}
    sizes: dict[str, float] = {}
    session.on(
        "Network.requestWillBeSent",
        lambda e: urls.update({e["requestId"]: e["request"]["url"]}),
    )
    session.on(
        "Network.loadingFinished",
        lambda e: sizes.update({e["requestId"]: e["encodedDataLength"]}),
    )
    response = page.goto(path)
    assert response.status == 200
    assert response.headers.get("content-encoding") == "gzip"
    page.wait_for_load_state("networkidle")

    origins = {
        urlsplit(url).netloc for url in urls.values() if not url.startswith("data:")
    }
    assert origins == {urlsplit(live_server.url).netloc}
    return sum(sizes.values()), {urls[i]: s for i, s in sizes.items()}


def test_capture_first_load_fits_30_kb_gzip_from_this_origin_only(context, live_server):
    total, files = first_load(context, live_server, "/capture")
    print(f"capture page first load: {total:.0f} bytes over {len(files)} requests")
    assert total <= BUDGET, files


@pytest.fixture
def busy_morning(live_server) -> None:
    """Fifty people met two days ago: each has a thank-you due on the Queue."""
    from app.extensions import db
    from app.models import Contact, User
    from app.scheduling import schedule_followups

    met = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    with live_server.app.app_context():
        user = db.session.execute(
            db.select(User).filter_by(email=OWNER_EMAIL)
        ).scalar_one()
        for n in range(DUE_PEOPLE):
            contact = Contact(
                id=str(uuid.uuid4()),
                user_id=user.id,
                name=f"Person {n:02d} Example",
                email=f"person{n}@example.com",
                company="Example Works",
                met_at=met,
            )
            db.session.add(contact)
            db.session.flush()
            schedule_followups(contact, now=met)
        db.session.commit()
        db.session.remove()


def test_queue_first_load_fits_30_kb_gzip_with_50_due(
    context, live_server, busy_morning
):
    total, files = first_load(context, live_server, "/queue")
    print(f"queue page first load: {total:.0f} bytes over {len(files)} requests")
    page = context.pages[-1]
    assert page.locator("[data-followup]").count() == DUE_PEOPLE
    assert total <= BUDGET, files
