"""The notify activity: templates filled in (escaped in HTML, one line in the subject) and one
message per instance and step."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.errors import InvalidInput
from services.records.templates import render_html, render_subject, render_text


def test_values_are_escaped_in_html_and_kept_in_text() -> None:
    values = {
        "name": '<img src=x onerror="alert(1)">',
        "claim": {"amount": "12.00"},
        "tags": ["a", "b"],
        "none": None,
        "n": 5,
    }
    template = "Hi {{ name }}: {{claim.amount}} {{ tags.1 }} [{{ none }}] {{ n }} {{ tags }}"
    assert render_html(template, values) == (
        "Hi &lt;img src=x onerror=&quot;alert(1)&quot;&gt;: 12.00 b [] 5 "
        "[&quot;a&quot;, &quot;b&quot;]"
    )
    assert (
        render_text(template, values)
        == 'Hi <img src=x onerror="alert(1)">: 12.00 b [] 5 ["a", "b"]'
    )


def test_a_subject_stays_one_line_whatever_the_values() -> None:
    assert (
        render_subject("Claim {{ id }}", {"id": "1\r\nBcc: evil@example.com\u2028x"})
        == "Claim 1 Bcc: evil@example.com x"
    )
    with pytest.raises(InvalidInput, match="subject"):
        render_subject("{{ id }}", {"id": "\r\n"})


def test_a_placeholder_without_a_value_is_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        render_text("Dear {{ claimant.name }},", {"claimant": {}}, field="text")
    assert caught.value.field == "text" and "{{ claimant.name }}" in caught.value.detail
    assert render_text("{{ not a placeholder }} {{", {}) == "{{ not a placeholder }} {{"


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text())
def test_no_value_can_open_a_tag_in_html(value: str, template_text: str) -> None:
    template = template_text.replace("{{", "") + "{{ v }}"
    rendered = render_html(template, {"v": value})
    filled = rendered[len(render_html(template.replace("{{ v }}", ""), {})) :]
    assert "<" not in filled and ">" not in filled and '"' not in filled
    rendered.encode("utf-8")  # no lone surrogates reach the mail


def test_notify_composes_one_message_per_instance_and_step() -> None:
    from activities.notify import compose

    mail = {
        "instanceId": "i-1",
        "step": "Tell",
        "to": "ana@example.com",
        "subject": "Claim {{ id }}",
        "text": "Hello {{ id }}",
        "html": "<p>{{ id }}</p>",
        "values": {"id": "<C-1>"},
    }
    message, key = compose(mail)
    assert (message.to, message.subject, message.text, message.html) == (
        ("ana@example.com",),
        "Claim <C-1>",
        "Hello <C-1>",
        "<p>&lt;C-1&gt;</p>",
    )
    assert compose(mail)[1] == key and compose({**mail, "step": "Other"})[1] != key
    for changes, field in [
        ({"to": []}, "to"),
        ({"to": "nobody"}, "to"),
        ({"to": ["a@example.com\r\nBcc: b@example.com"]}, "to"),
        ({"subject": ""}, "subject"),
        ({"values": []}, "values"),
        ({"text": "{{ missing }}"}, "text"),
        ({"step": ""}, "step"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            compose({**mail, **changes})
        assert caught.value.field == field, changes
