"""Reading an uploaded import file, for the API and the Settings page alike."""

from __future__ import annotations

from flask import request

from .config import UPLOAD_FRAMING
from .errors import TooLarge, UnsupportedMedia, ValidationError


def uploaded_file(limit: int) -> tuple[bytes, str, str]:
    """Return (data, filename, mimetype) of a multipart `file` or a raw body."""
    message = (
        f"The file is larger than {limit // (1024 * 1024) or 1} MB. Split it and "
        "import the parts one after another."
    )
    too_large = TooLarge(message, {"file": message})
    if (
        request.content_length is not None
        and request.content_length > limit + UPLOAD_FRAMING
    ):
        raise too_large
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ValidationError(
                "Choose a file to import.", {"file": "Choose a file to import."}
            )
        data = upload.stream.read(limit + 1)
        name, mimetype = upload.filename, upload.mimetype
    else:
        if request.mimetype in ("application/json", ""):
            raise UnsupportedMedia(
                "Send the file as multipart/form-data (field file) or as the body "
                "with Content-Type text/vcard or text/csv."
            )
        data = request.get_data(cache=False)
        name, mimetype = "", request.mimetype
    if len(data) > limit:
        raise too_large
    if not data.strip():
        raise ValidationError("The file is empty.", {"file": "Empty."})
    return data, name, mimetype
