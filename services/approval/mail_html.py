"""The HTML part of the approval mails, in the dashboard's look.

Mail clients drop stylesheets and scripts, so every style is inline and the layout is one
table-free column that reads on a phone. Every value goes through ``html.escape``; links are
only the http(s) URLs we build ourselves. The plain-text part stays the one that counts (it
carries the same facts and the full link), this one is its readable twin.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["mail_html"]

_BODY = (
    "margin:0;padding:0;background:#f4f6f8;color:#1b1f24;"
    "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;"
    "font-size:16px;line-height:1.5"
)
_CARD = (
    "max-width:36rem;margin:0 auto;padding:1.25rem 1.25rem 1.5rem;background:#ffffff;"
    "border-top:6px solid #14324f"
)
_BUTTON = (
    "display:inline-block;padding:.6rem 1.4rem;background:#0a58a8;color:#ffffff;"
    "font-weight:600;text-decoration:none;border-radius:6px"
)
_MUTED = "color:#4f5863;font-size:14px"


def mail_html(
    title: str,
    intro: str,
    facts: Sequence[tuple[str, str]],
    buttons: Sequence[tuple[str, str]] = (),
    footer: str = "",
) -> str:
    """A mail page: heading, a sentence, the facts as label/value pairs, button links
    (``(text, url)``: short words, the URL behind them) and a small print line."""
    rows = "".join(
        f'<p style="margin:.2rem 0"><span style="{_MUTED};font-weight:600">'
        f"{escape(label)}</span><br>{escape(value)}</p>"
        for label, value in facts
        if value
    )
    links = "".join(
        f'<p style="margin:1.25rem 0 .5rem"><a href="{escape(url, quote=True)}" '
        f'style="{_BUTTON}">{escape(text)}</a></p>'
        for text, url in buttons
    )
    small = f'<p style="{_MUTED};margin-top:1.25rem">{escape(footer)}</p>' if footer else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title></head><body style="{_BODY}">'
        f'<div style="{_CARD}"><p style="{_MUTED};margin:0">Workflows</p>'
        f'<h1 style="font-size:22px;line-height:1.3;margin:.4rem 0 .75rem;'
        f'overflow-wrap:anywhere">{escape(title)}</h1><p>{escape(intro)}</p>'
        f"{rows}{links}{small}</div></body></html>"
    )
