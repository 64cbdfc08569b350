"""Renders each sample document once per test process: WeasyPrint takes a few tenths of a second."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache

import pytest

from tests.invoicing import documents

SAMPLES = {
    "french": documents.french_invoice,
    "reverse_charge": documents.reverse_charge_invoice,
    "export": documents.export_invoice,
    "english": documents.english_invoice,
    "credit_note": documents.credit_note,
}


def _require_system_packages() -> None:
    # A missing system package must fail the suite, never skip it silently.
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: run `make pdf-test-deps` (Debian poppler-utils)")
    try:
        import weasyprint  # noqa: F401
    except OSError as error:
        pytest.fail(f"WeasyPrint cannot load Pango ({error}): run `make pdf-deps`")


@cache
def _facturx_pdf(name: str) -> bytes:
    from tarif.invoicing.rendering import render_facturx_pdf

    return render_facturx_pdf(SAMPLES[name]())


@pytest.fixture
def facturx_pdf():
    _require_system_packages()
    return _facturx_pdf


def pdf_text(pdf: bytes) -> str:
    """pdftotext's reading of the PDF, one table row a line, runs of spaces collapsed."""
    _require_system_packages()
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    text = result.stdout.decode().replace("\u00a0", " ").replace("\u202f", " ")
    return "\n".join(re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines())


def missing(text: str, mentions: list[str]) -> list[str]:
    return [mention for mention in mentions if mention not in text]
