"""The app shell on the server side: manifest, service worker, gzip."""

from __future__ import annotations

import gzip
import io
import json

from PIL import Image

from app.pages import pwa


def test_manifest_is_served_as_a_web_app_manifest_with_real_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data())
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["theme_color"] == "#0f5b4f"
    sizes = set()
    for icon in manifest["icons"]:
        answer = client.get(icon["src"])
        image = Image.open(io.BytesIO(answer.get_data()))
        answer.close()
        assert image.format == "PNG"
        assert icon["sizes"] == f"{image.width}x{image.height}"
        sizes.add((icon["sizes"], icon.get("purpose", "any")))
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    assert [s["url"] for s in manifest["shortcuts"]] == ["/card", "/capture"]


def test_service_worker_is_served_from_the_root_uncached_with_its_version(client, app):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert f'const VERSION = "{pwa.shell_version(app)}";' in body
    assert "__VERSION__" not in body and "__SHELL__" not in body
    assert '"/static/css/morrow.css"' in body and '"/offline"' in body


def test_shell_version_changes_when_a_static_file_changes(app, tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "a.css").write_text("body {}")
    app.static_folder = str(tmp_path)
    first = pwa.shell_version(app)
    app.extensions.pop("morrow_shell_version")
    (tmp_path / "css" / "a.css").write_text("body { color: red }")
    assert pwa.shell_version(app) != first


def test_shell_and_offline_page_work_before_the_first_account(client):
    for path in ("/sw.js", "/manifest.webmanifest", "/offline"):
        assert client.get(path).status_code == 200, path


def test_text_answers_are_gzipped_when_the_client_accepts_it(client):
    response = client.get("/static/css/morrow.css", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.get_data()).startswith(b"/* Morrow")
    response.close()


def test_no_gzip_without_accept_encoding_for_images_or_for_304(client):
    plain = client.get("/static/css/morrow.css")
    assert "Content-Encoding" not in plain.headers
    etag = plain.headers["ETag"]
    plain.close()
    png = client.get("/static/icons/icon-192.png", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in png.headers
    png.close()
    again = client.get(
        "/static/css/morrow.css",
        headers={"Accept-Encoding": "gzip", "If-None-Match": etag},
    )
    assert again.status_code == 304
    assert "Content-Encoding" not in again.headers
    again.close()


def test_small_answers_are_not_gzipped(client):
    response = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers
