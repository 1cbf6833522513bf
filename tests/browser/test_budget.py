"""The capture page is light enough for a conference hall's weak signal."""

from __future__ import annotations

from urllib.parse import urlsplit

from browserlib import log_in_without_pages

BUDGET = 30 * 1024


def test_capture_first_load_fits_30_kb_gzip_from_this_origin_only(context, live_server):
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
    response = page.goto("/capture")
    assert response.status == 200
    assert response.headers.get("content-encoding") == "gzip"
    page.wait_for_load_state("networkidle")

    origins = {
        urlsplit(url).netloc for url in urls.values() if not url.startswith("data:")
    }
    assert origins == {urlsplit(live_server.url).netloc}
    total = sum(sizes.values())
    print(f"capture page first load: {total:.0f} bytes over {len(sizes)} requests")
    assert total <= BUDGET, {urls[i]: s for i, s in sizes.items()}
