"""The dashboard in a real headless Chromium against the product app on devhost.

One app host and one browser for the module (the app's runtime is per process). Instances
start the way production starts them: schema-change messages through devhost's Service Bus
queue, which the app's ingress turns into document-approval runs (or quarantines).

After every test the page must have asked no host but the app's own (Chromium's performance
log) and written no error to the console; views are screenshotted at 1280 and 390 px into
``artifacts/screenshots/``.
"""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from dashboard_support import MESSAGES, send, submit
from selenium.webdriver.common.keys import Keys
from support.app_host import ProductHost, product_host
from support.browser import Browser, chromium

DEADLINE_IN_WORDS = re.compile(
    r"Decide by (Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d{1,2} "
    r"[A-Z][a-z]+ \d{4}, \d\d:\d\d UTC\."
)
HOSTILE = '<img src=x onerror="window.__pwned=1">\u0007\u001b[31m<script>window.__pwned=2</script>'


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductHost]:
    with product_host(tmp_path_factory.mktemp("dashboard")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(app: ProductHost) -> Iterator[Browser]:
    with chromium(app.host.base_url) as running:
        yield running


@pytest.fixture(autouse=True)
def stays_home_and_quiet(browser: Browser, request: pytest.FixtureRequest) -> Iterator[None]:
    """No request to another host and no console error, checked after each test."""
    browser.requests(), browser.console_errors()  # forget what earlier tests left
    yield
    allowed = (*getattr(request.node, "allowed_prefixes", ()), "data:")
    assert browser.foreign_requests(allowed) == []
    expected = getattr(request.node, "expected_console", ())
    errors = [e for e in browser.console_errors() if not any(x in e for x in expected)]
    assert errors == []
    assert browser.script("return window.__pwned === undefined"), "page ran injected markup"


def row_status(browser: Browser, instance_id: str) -> str:
    rows = browser.all(f'tr[data-instance="{instance_id}"] .badge')
    return str(rows[0].text) if rows else ""


def confirm(browser: Browser, expected_title: str) -> None:
    dialog = browser.find("dialog[open]")
    assert expected_title in dialog.text
    browser.find("dialog[open] #confirm-ok").click()


# ----------------------------------------------------------------------------------- tests
def test_the_list_shows_started_instances_with_their_status_and_filters_narrow_it(
    app: ProductHost, browser: Browser
) -> None:
    first, second = submit(app), submit(app)
    browser.open("/api/dashboard/instances")

    browser.until(lambda: row_status(browser, first) == "Running", "the first instance listed")
    assert row_status(browser, second) == "Running"
    row = browser.find(f'tr[data-instance="{first}"]').text
    assert "document-approval" in row and "AwaitVote" in row and "approval" in row
    running = browser.find('.counts a[data-status="Running"] strong')
    assert int(running.text) >= 2

    prefix = browser.find("#filter-prefix")
    prefix.send_keys(second[:13])
    browser.find("#apply-filters").click()
    browser.until(lambda: "instanceIdPrefix=" in browser.driver.current_url, "the filter URL")
    browser.until(lambda: not browser.all(f'tr[data-instance="{first}"]'), "the list narrowed")
    assert row_status(browser, second) == "Running"
    assert browser.find('.counts a[data-status="Running"] strong').text == "1"
    # The filtered view is its own URL: opened afresh it shows the same.
    browser.open(browser.driver.current_url.removeprefix(browser.base_url))
    browser.until(lambda: row_status(browser, second) == "Running", "the bookmarked filter")
    assert not browser.all(f'tr[data-instance="{first}"]')
    browser.screenshots("instances")

    # A time range in the URL narrows it too, and fills the form's field.
    browser.open("/api/dashboard/instances?createdFrom=2100-01-01T00%3A00%3A00.000Z")
    browser.until(lambda: "Nothing here." in browser.text("table"), "an empty range")
    shown = browser.find("#filter-from").get_attribute("value")  # in the browser's zone
    assert shown.startswith(("2100-01-01", "2099-12-31")), shown

    # Paging: one a page, the next page holds another instance, and the way back.
    browser.open("/api/dashboard/instances?workflow=document-approval&top=1")
    shown = browser.find("tr[data-instance]").get_attribute("data-instance")
    browser.find("#next-page").click()
    browser.until(
        lambda: browser.find("tr[data-instance]").get_attribute("data-instance") != shown,
        "the next page",
    )
    assert len(browser.all("tr[data-instance]")) == 1
    assert browser.all(".pager a")[0].text == "First page"


def test_an_approval_waiting_for_votes_shows_its_graph_with_the_state_marked_and_deadline(
    app: ProductHost, browser: Browser
) -> None:
    instance_id = submit(app)
    deadline = app.host.status(instance_id)["customStatus"]["deadline"]  # type: ignore[index]
    browser.open(f"/api/dashboard/instances/{instance_id}")

    current = browser.find("#instance-graph .node.current")
    assert current.get_attribute("data-state") == "AwaitVote"
    visited = {n.get_attribute("data-state") for n in browser.all("#instance-graph .visited")}
    assert {"Register", "Draft", "Assess", "Notify"} <= visited
    shown = browser.find("#deadline time")
    assert shown.get_attribute("datetime")[:16] == deadline[:16]  # the UTC value, on hover
    assert shown.get_attribute("title").startswith("UTC: ")
    assert "notify_approvers" in browser.text("table")  # the timeline
    timers = [r.text for r in browser.all("tr[data-kind=timer]")]
    assert any("AwaitVote" in t and "pending" in t for t in timers), timers  # the deadline
    # The step timeouts of states already left are not shown as pending.
    assert all("pending" not in t for t in timers if "AwaitVote" not in t), timers
    browser.screenshots("instance-waiting")


def test_raising_the_vote_from_the_page_moves_the_instance_on(
    app: ProductHost, browser: Browser
) -> None:
    instance_id = submit(app)
    request_id = app.rows(
        "SELECT request_id FROM approval_requests WHERE document_id = :d", d=instance_id
    )[0]["request_id"]
    browser.open(f"/api/dashboard/instances/{instance_id}")
    browser.find("#raise-event-panel summary").click()
    assert browser.find("#event-name").get_attribute("value") == "approval"

    data = browser.find("#event-data")
    data.send_keys("{not json")
    browser.find("#raise-event button[type=submit]").click()
    assert "not JSON" in browser.find("#raise-event .error-text").text  # nothing sent
    data.clear()
    data.send_keys(json.dumps({"requestId": request_id, "decision": "approve"}))
    browser.find("#raise-event button[type=submit]").click()
    confirm(browser, "Raise approval?")
    browser.until(lambda: "accepted" in browser.text("#action-result"), "the event accepted")
    app.host.wait_idle()

    status = app.host.status(instance_id)
    assert status is not None and status["runtimeStatus"] == "Completed", status
    browser.until(
        lambda: browser.find(".facts .badge").text == "Completed",
        "the page redrawn with the new status",
    )
    assert browser.find('#instance-graph [data-state="Approved"]').get_attribute(
        "class"
    ).split() == ["node", "visited"]


def test_terminate_asks_first_and_ends_a_running_instance(
    app: ProductHost, browser: Browser
) -> None:
    instance_id = submit(app)
    browser.open(f"/api/dashboard/instances/{instance_id}")
    browser.find("#action-terminate").click()
    browser.find("dialog[open] button[value=cancel]").click()  # changed my mind
    browser.until(lambda: not browser.all("dialog[open]"), "the dialog closed")
    app.host.wait_idle()
    assert app.host.status(instance_id)["runtimeStatus"] == "Running"  # type: ignore[index]

    browser.find("#action-terminate").click()
    browser.find("#confirm-reason").send_keys("opened by mistake")
    confirm(browser, f"Terminate {instance_id}?")
    browser.until(lambda: "accepted" in browser.text("#action-result"), "terminate accepted")
    app.host.wait_idle()
    status = app.host.status(instance_id)
    assert status is not None and status["runtimeStatus"] == "Terminated"
    assert status["output"] == "opened by mistake"
    browser.until(lambda: browser.find(".facts .badge").text == "Terminated", "the new status")
    assert browser.find("#action-terminate").get_attribute("disabled") is not None


def act(
    browser: Browser, app: ProductHost, action: str, title: str, moves_on: bool = False
) -> None:
    """Press an action's button, confirm it, wait until the host has done it (``moves_on``:
    the page goes elsewhere after it, so the caller waits for that instead)."""
    browser.find(f"#action-{action}").click()
    confirm(browser, title)
    if not moves_on:
        browser.until(lambda: "accepted" in browser.text("#action-result"), f"{action} accepted")
        app.host.wait_idle()


def test_suspend_resume_restart_and_purge_from_the_page(app: ProductHost, browser: Browser) -> None:
    instance_id = submit(app)
    browser.open(f"/api/dashboard/instances/{instance_id}")
    act(browser, app, "suspend", f"Suspend {instance_id}?")
    assert app.host.status(instance_id)["runtimeStatus"] == "Suspended"  # type: ignore[index]
    browser.until(lambda: browser.find(".facts .badge").text == "Suspended", "redrawn")
    act(browser, app, "resume", f"Resume {instance_id}?")
    assert app.host.status(instance_id)["runtimeStatus"] == "Running"  # type: ignore[index]
    browser.until(lambda: browser.find(".facts .badge").text == "Running", "redrawn")
    act(browser, app, "terminate", f"Terminate {instance_id}?")
    browser.until(lambda: browser.find(".facts .badge").text == "Terminated", "redrawn")

    act(browser, app, "restart", f"Restart {instance_id}?", moves_on=True)
    browser.until(lambda: instance_id not in browser.driver.current_url, "the new instance")
    app.host.wait_idle()  # a new run, with the same input
    restarted = browser.driver.current_url.rsplit("/", 1)[1]
    status = app.host.status(restarted)
    assert status is not None and status["input"] == app.host.status(instance_id)["input"]

    browser.open(f"/api/dashboard/instances/{instance_id}")
    act(browser, app, "purge", f"Purge {instance_id}?", moves_on=True)
    browser.until(
        lambda: browser.driver.current_url.endswith("/api/dashboard/instances"), "back to the list"
    )
    app.host.wait_idle()
    assert app.host.status(instance_id) is None  # gone with its history


def test_a_refused_call_shows_the_problem_to_the_user(
    app: ProductHost, browser: Browser, request: pytest.FixtureRequest
) -> None:
    request.node.expected_console = ("404 (Not Found)", "410 (Gone)")  # logged by Chromium
    browser.open("/api/dashboard/instances/no-such-instance")
    shown = browser.find("[role=alert]").text
    assert "no-such-instance" in shown and "Not" in shown

    # The page still offers Suspend, but the instance ended meanwhile: the API refuses.
    instance_id = submit(app)
    browser.open(f"/api/dashboard/instances/{instance_id}")
    suspend = browser.find("#action-suspend")
    answer = app.host.http("POST", f"/api/instances/{instance_id}/terminate", json={})
    assert answer.status == 202, answer.text
    app.host.wait_idle()
    suspend.click()
    confirm(browser, f"Suspend {instance_id}?")
    alert = browser.find("#action-result [role=alert]").text
    assert "Instance not running" in alert and "cannot suspend" in alert, alert
    assert app.host.status(instance_id)["runtimeStatus"] == "Terminated"  # type: ignore[index]


def test_the_approvals_page_lists_a_pending_approval(app: ProductHost, browser: Browser) -> None:
    instance_id = submit(app, physicalName="sales.invoices")
    browser.open("/api/dashboard/approvals")
    row = browser.find(f'tr[data-document="{instance_id}"]').text
    assert "warehouse.sales.invoices" in row
    assert "rita.requester@example.com" in row
    assert "d" in row  # the time left, in days and hours
    browser.screenshots("approvals")

    browser.find(f'tr[data-document="{instance_id}"] a').click()
    assert "The audit trail verifies" in browser.find(".notice.ok").text
    assert browser.all('tr[data-event="submitted"]')
    browser.screenshots("document-audit-trail")


def test_a_quarantined_message_appears_with_its_reason_and_hostile_text_stays_text(
    app: ProductHost, browser: Browser
) -> None:
    malformed = send(app, (MESSAGES / "malformed.json").read_bytes())
    hostile = send(app, HOSTILE)
    huge = send(app, json.dumps({"documentId": "x", "blob": ["a" * 1000] * 400}))
    browser.open("/api/dashboard/messages")

    row = browser.find(f'tr[data-message="{malformed}"]').text
    assert "schema-invalid" in row and "changeType: " in row
    assert "changeType: changeType" not in row  # each field named once
    hostile_row = browser.find(f'tr[data-message="{hostile}"]')
    assert "not-json" in hostile_row.text
    hostile_row.find_element("css selector", "summary").click()
    body = hostile_row.find_element("css selector", "pre")
    browser.until(lambda: "onerror" in body.text, "the body loaded")
    assert browser.script("return arguments[0].textContent", body) == HOSTILE
    assert not browser.all("main img, main script")  # shown as text, never as markup
    browser.find(f'tr[data-message="{huge}"] summary').click()
    browser.until(
        lambda: '"blob"' in browser.find(f'tr[data-message="{huge}"] pre').text,
        "the huge body shown",
    )
    browser.screenshots("messages")


def test_every_view_draws_without_errors_at_both_widths(app: ProductHost, browser: Browser) -> None:
    for path, ready, name in (
        ("/api/dashboard/workflows/document-approval", "#definition-graph svg", "definition"),
        ("/api/dashboard/activities", "tr[id^=activity-]", "activities"),
        ("/api/dashboard/entities", "table", "entities"),
        ("/api/docs", "#swagger-ui .opblock", "api-reference"),
    ):
        browser.open(path)
        browser.find(ready)
        # Swagger UI keeps its own colours (some under AA): only our pages are held to it.
        browser.screenshots(name, contrast=name != "api-reference")
    # "/" and "/api/" lead to the dashboard rather than a bare 404.
    for path in ("/", "/api/"):
        browser.open(path)
        browser.until(
            lambda: browser.driver.current_url.endswith("/api/dashboard"), f"{path} redirected"
        )
        browser.find(".counts li")


def test_a_device_entity_shows_its_events(app: ProductHost, browser: Browser) -> None:
    device = f"dev-{uuid.uuid4().hex[:8]}"
    for n in range(3):
        event = {
            "eventId": f"e-{n}-{device}",
            "deviceId": device,
            "type": "reading",
            "occurredAt": f"2026-01-05T09:00:0{n}Z",
            "data": {"n": n, "note": HOSTILE},
        }
        answer = app.host.http(
            "POST",
            "/admin/devhost/queues/device-events/messages",
            data=json.dumps(event),
            params={"sessionId": device},
            headers={"Content-Type": "application/json"},
        )
        assert answer.status == 201, answer.text
    app.host.wait_idle()
    browser.open("/api/dashboard/entities/device")
    browser.find(f"a[href$='/entities/device/{device}']").click()
    browser.until(lambda: browser.find("main h2").text == "Events (3)", "the device's events")
    assert [
        r.find_element("css selector", "td").text for r in browser.all("main table tbody tr")
    ] == [f"e-{n}-{device}" for n in range(3)]
    assert not browser.all("main img")
    browser.screenshots("device-entity")


def test_the_dashboard_is_usable_from_the_keyboard(app: ProductHost, browser: Browser) -> None:
    browser.open("/api/dashboard/instances")
    browser.find(".counts li")
    body = browser.find("body")
    body.send_keys(Keys.TAB)  # the first stop skips the navigation
    assert browser.script("return document.activeElement.textContent") == "Skip to content"
    focused = []
    for _ in range(3):  # the brand, then the sections in order
        browser.driver.switch_to.active_element.send_keys(Keys.TAB)
        focused.append(browser.script("return document.activeElement.textContent"))
    assert focused == ["Workflows", "Instances", "Approvals"]
    browser.driver.switch_to.active_element.send_keys(Keys.ENTER)
    browser.until(
        lambda: browser.driver.current_url.endswith("/api/dashboard/approvals"),
        "the approvals opened from the keyboard",
    )
    browser.until(lambda: browser.find("main h1").text == "Approvals", "the view drawn")
    browser.until(
        lambda: browser.script("return document.activeElement.id") == "view",
        "the focus moved to the new view, as a page load would",
    )


def test_hostile_text_in_an_instance_stays_text(app: ProductHost, browser: Browser) -> None:
    name = "sales.<img src=x onerror=window.__pwned=3>"
    message = json.loads((MESSAGES / "tier2-single-approver.json").read_text())
    message.update(documentId=str(uuid.uuid4()), physicalName=name)
    # Started directly, as a script would (ingress refuses such a name before any workflow).
    app.host.start_orchestration(
        "workflow",
        {"workflow": "document-approval", "input": message},
        instance_id=message["documentId"],
    )
    status = app.host.wait_for(message["documentId"])
    assert status["runtimeStatus"] == "Failed"  # no such object: it fails, naming it
    browser.open(f"/api/dashboard/instances/{message['documentId']}")
    assert "InvalidDraftRequest" in browser.find(".facts").text  # the error
    browser.find("details[data-json=Input] summary").click()  # the input, folded JSON
    assert name in browser.text("details[data-json=Input] pre")  # as text
    assert not browser.all("main img")
    browser.find("#instance-graph .node.failed")


def approval_mails(app: ProductHost, since: int) -> list[EmailMessage]:
    """The approval requests mailed after the first ``since`` mails, oldest first."""
    mails = [m for m in app.mail()[since:] if "/api/approvals/" in plain(m)]
    assert mails, "no approval request mailed"
    return mails


def plain(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None, "a mail without its plain-text part"
    return str(part.get_content())


def link_path(mail: EmailMessage, marker: str = "/api/approvals/") -> str:
    link = next(w for w in plain(mail).split() if marker in w)
    return link[link.index("/api/") :]


def test_the_approver_mail_page_and_decision_read_as_a_product(
    app: ProductHost, browser: Browser, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    before = len(app.mail())
    instance_id = submit(app)
    mail = approval_mails(app, before)[-1]
    html = mail.get_body(("html",))
    assert html is not None, "the approval mail has no HTML part"
    words = plain(mail)
    assert "rita.requester@example.com asks you" in words  # the requester named
    assert DEADLINE_IN_WORDS.search(words), words  # "Saturday 5 December 2026, 11:22 UTC"
    page = tmp_path / "mail.html"
    page.write_text(str(html.get_content()), encoding="utf-8")
    browser.driver.get(page.as_uri())
    button = browser.find("a[href*='/api/approvals/']")
    assert button.text == "Review and decide"  # a short button, the long link behind it
    assert "Decide by" in browser.text("body") and "UTC" in browser.text("body")
    browser.screenshots("approval-mail")
    # The check after each test sees the file:// page: proof it would see any other host.
    assert browser.foreign_requests() == [page.as_uri()]

    path = link_path(mail)
    browser.open(path)
    heading = browser.find("h1").text
    assert heading == "Approve warehouse.sales.products?"
    body = browser.text("body")
    assert "rita.requester@example.com asks you" in body and "left)" in body
    assert "Roles still to approve" in body
    browser.screenshots("approval-page")
    browser.find("button[value=approve]").click()
    browser.until(
        lambda: browser.find("h1").text == "You approved warehouse.sales.products",
        "the heading saying what was decided",
    )
    browser.screenshots("approval-decided")
    app.host.wait_idle()
    assert app.host.status(instance_id)["runtimeStatus"] == "Completed"  # type: ignore[index]

    # The requester's outcome mail links to the filed document on the app, not a file:// path.
    outcome = next(m for m in reversed(app.mail()) if "Approved:" in str(m["Subject"]))
    assert "file://" not in plain(outcome)
    filed_path = link_path(outcome, f"/api/documents/{instance_id}/file")
    with urllib.request.urlopen(app.host.base_url + filed_path) as filed:
        assert filed.status == 200
        assert filed.read(2) == b"PK"  # the .docx that was approved
    trail = link_path(outcome, f"/api/dashboard/documents/{instance_id}")
    browser.open(trail)
    assert "The audit trail verifies" in browser.find(".notice.ok").text


def test_a_rejection_asks_for_a_reason_and_a_closed_link_says_how_it_ended(
    app: ProductHost, browser: Browser, request: pytest.FixtureRequest
) -> None:
    request.node.expected_console = ("status of 410",)  # the closed link's page is a 410
    before = len(app.mail())
    submit(app, "tier2-table")  # two roles: one rejection ends it for both
    first, second = (link_path(m) for m in approval_mails(app, before)[:2])

    browser.open(first)
    reject = browser.find("button[value=reject]")
    reject.click()  # no reason given: the browser refuses to send the form
    assert browser.script("return document.querySelector('#reason').validity.valueMissing")
    assert browser.find("h1").text.startswith("Approve ")
    browser.find("#reason").send_keys("the owner column is wrong")
    browser.find("button[value=reject]").click()
    browser.until(
        lambda: browser.find("h1").text == "You rejected warehouse.sales.orders",
        "the heading saying what was decided",
    )
    browser.screenshots("approval-rejected")
    app.host.wait_idle()

    browser.open(second)
    assert browser.find("h1").text == "This approval link is closed: warehouse.sales.orders"
    assert "it was rejected" in browser.text("body")
    browser.screenshots("approval-closed")
