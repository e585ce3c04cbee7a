"""`multipart/form-data` bodies read as the equivalent JSON fields (workspace/import takes both forms).

The official SDK's `w.workspace.upload()` posts the form (fields plus a `content` file); the JSON form
carries `content` in base64. The form is parsed only after the token is checked and the body is read
within its limit (api/app.py), with the standard library (no python-multipart needed).
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
from typing import Any

__all__ = ["form_fields"]

_BOOLEANS = {"true": True, "false": False}


def form_fields(content_type: str, body: bytes) -> dict[str, Any]:
    """The fields of a form: text as strings (`true`/`false` as booleans), files as base64 strings."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts() if message.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if not isinstance(name, str):
            continue
        if part.get_filename() is not None:
            fields[name] = base64.b64encode(data).decode()
        else:
            text = data.decode("utf-8", "replace")
            fields[name] = _BOOLEANS.get(text.lower(), text)
    return fields
