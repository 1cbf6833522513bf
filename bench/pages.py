"""Count what a first visit to a page downloads: the HTML and all it pulls in."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

# Links a browser does not fetch while loading the page.
SKIP_RELS = {
    "canonical",
    "alternate",
    "preconnect",
    "dns-prefetch",
    "apple-touch-icon",
    "prefetch",
    "author",
    "license",
    "help",
    "search",
}
RESOURCE_TAGS = {"script", "img", "link", "source", "iframe", "video", "audio", "embed"}
JS_IMPORT = re.compile(
    r"""^\s*(?:import|export)\s+(?:[\w\s{},*$]*?\s+from\s+)?["']([^"']+)["']""",
    re.MULTILINE,
)
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)|@import\s+["']([^"']+)["']""")


class ResourceParser(HTMLParser):
    """Collect the URLs of stylesheets, scripts, images and the manifest."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []
        self.referenced: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag not in RESOURCE_TAGS:
            return
        url = values.get("src") or values.get("href")
        if not url:
            return
        self.referenced.append(url)
        if tag == "link" and set(values.get("rel", "").lower().split()) & SKIP_RELS:
            return
        self.fetched.append(url)


def _body(response: requests.Response) -> tuple[bytes, int]:
    """Return the decoded body and the bytes on the wire (headers included)."""
    raw = response.raw.read(decode_content=False)
    headers = sum(len(k) + len(v) + 4 for k, v in response.headers.items())
    wire = len(raw) + headers + len(f"HTTP/1.1 {response.status_code} OK\r\n\r\n")
    if response.headers.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return raw, wire


def first_load(session: requests.Session, url: str) -> dict:
    """Fetch a page and everything it loads; return bytes, files and origins."""
    origin = urlsplit(url)[:2]
    headers = {"Accept-Encoding": "gzip"}
    queue = [url]
    seen: set[str] = set()
    files: dict[str, int] = {}
    foreign: list[str] = []
    while queue and len(seen) < 100:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        response = session.get(current, headers=headers, stream=True, timeout=30)
        body, wire = _body(response)
        if response.status_code != 200:
            raise RuntimeError(f"{current} answered {response.status_code}")
        files[urlsplit(current).path] = wire
        kind = response.headers.get("Content-Type", "").split(";")[0]
        found: list[str] = []
        if kind == "text/html":
            parser = ResourceParser()
            parser.feed(body.decode())
            found = parser.fetched
            foreign += [
                u for u in parser.referenced if _foreign(urljoin(current, u), origin)
            ]
        elif kind in ("text/javascript", "application/javascript"):
            found = JS_IMPORT.findall(body.decode())
        elif kind == "text/css":
            found = [a or b for a, b in CSS_URL.findall(body.decode())]
        for ref in found:
            if ref.startswith("data:"):
                continue
            target = urljoin(current, ref).split("#")[0]
            if _foreign(target, origin):
                foreign.append(target)
            else:
                queue.append(target)
    return {"bytes": sum(files.values()), "files": files, "foreign": foreign}


def _foreign(url: str, origin: tuple[str, str]) -> bool:
    """Tell whether a URL is on another origin than the page."""
    return urlsplit(url)[:2] != origin
