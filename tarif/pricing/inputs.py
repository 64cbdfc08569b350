"""Reading a charge typed on the command line or in a form: JSON text or a JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tarif.errors import InvalidInput


def charge_json(text: str, field: str = "charge") -> dict[str, Any] | None:
    """The JSON object of `text`; blank means no charge; anything else is refused at `field`."""
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput.on(field, f"not valid JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise InvalidInput.on(field, "must be a JSON object")
    return data


def charge_option(text: str | None, path: Path | None) -> dict[str, Any] | None:
    """`--charge JSON` or `--charge-file FILE.json` (not both); None when neither is given."""
    if text is not None and path is not None:
        raise InvalidInput.on("charge", "give --charge or --charge-file, not both")
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput.on("charge", f"cannot read {path}: {exc.strerror}") from None
    return None if text is None else charge_json(text)
