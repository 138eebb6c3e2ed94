"""Broadcast pages on the real broadcast service, over seeded subscribers."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from bot.broadcasts.service import BroadcastService
from tests.dashboard.conftest import signed_in

SID = "HX" + "0123456789abcdef" * 2


def create(client: TestClient, csrf: str, **fields: object) -> object:
    form: dict[str, object] = {"csrf_token": csrf, "name": "Vaccination days", "topic": "general",
                               "text_en": "Free vaccination on Saturday at the health centre.",
                               "text_ar": "تطعيم مجاني يوم السبت في المركز الصحي.",
                               **fields}
    return client.post("/broadcasts", data=form)


def test_a_broadcaster_creates_a_broadcast_and_sees_its_preview(
        client: TestClient, broadcasts: BroadcastService) -> None:
    csrf = signed_in(client, "broadcaster")
    reply = create(client, csrf, channel="telegram")
    assert reply.status_code == 303
    broadcast_id = int(reply.headers["location"].rsplit("/", 1)[1])
    status = broadcasts.status(broadcast_id)
    assert (status.name, status.state, status.created_by) == \
        ("Vaccination days", "draft", "bruno")
    page = client.get(reply.headers["location"]).text
    preview = broadcasts.preview(broadcast_id)
    assert preview.recipients == {("telegram", "en"): 3, ("telegram", "ar"): 2}
    assert re.search(r'id="recipients-total">5<', page)
    assert '<td dir="rtl" lang="ar">العربية</td><td class="num">2</td>' in page
    assert 'id="duration"' in page and 'id="send"' in page and "disabled" not in page


def test_the_form_keeps_arabic_right_to_left(client: TestClient) -> None:
    signed_in(client, "broadcaster")
    page = client.get("/broadcasts/new").text
    assert '<textarea name="text_ar" rows="3" dir="rtl" lang="ar">' in page


def test_the_preview_counts_people_skipped_for_lack_of_a_text_and_sms_segments(
        client: TestClient) -> None:
    csrf = signed_in(client, "broadcaster")
    reply = create(client, csrf, channel="sms", text_ar="")
    page = client.get(reply.headers["location"]).text
    # SMS subscribers: 2 French and 1 Spanish, and no text in either language.
    assert re.search(r'id="recipients-total">0<', page)
    assert "<td>SMS</td><td>Français</td><td class=\"num\">0</td>" \
           "<td class=\"num\">2</td>" in page
    assert "<td>English</td><td class=\"num\">1</td><td>GSM-7</td>" in page


def test_whatsapp_without_a_template_cannot_be_sent(client: TestClient,
                                                    broadcasts: BroadcastService) -> None:
    csrf = signed_in(client, "broadcaster")
    location = create(client, csrf, channel="whatsapp").headers["location"]
    page = client.get(location).text
    assert 'id="problems"' in page and "WhatsApp needs an approved template" in page
    assert re.search(r'<button type="submit" id="send" disabled>', page)
    refused = client.post(f"{location}/send", data={"csrf_token": csrf})
    assert refused.status_code == 400 and "WhatsApp needs an approved template" in refused.text
    assert broadcasts.status(int(location.rsplit("/", 1)[1])).state == "draft"


def test_with_a_template_per_language_whatsapp_can_be_sent(client: TestClient) -> None:
    csrf = signed_in(client, "broadcaster")
    location = create(client, csrf, channel="whatsapp", template_sid_ar=SID,
                      template_vars_ar="1=السبت\n2=المركز").headers["location"]
    page = client.get(location).text
    assert 'id="problems"' not in page
    assert client.post(f"{location}/send", data={"csrf_token": csrf}).status_code == 303


def test_send_queues_and_cancel_stops_a_broadcast(client: TestClient,
                                                  broadcasts: BroadcastService) -> None:
    csrf = signed_in(client, "admin")
    location = create(client, csrf, channel="telegram").headers["location"]
    broadcast_id = int(location.rsplit("/", 1)[1])
    assert client.post(f"{location}/send", data={"csrf_token": csrf}).status_code == 303
    status = broadcasts.status(broadcast_id)
    assert status.state == "sending" and status.counts["queued"] == 5
    page = client.get(location).text
    assert 'id="state">sending<' in page and 'id="send"' not in page
    assert client.post(f"{location}/cancel", data={"csrf_token": csrf}).status_code == 303
    assert broadcasts.status(broadcast_id).state == "cancelled"
    listing = client.get("/broadcasts").text
    assert "Vaccination days" in listing and "state-cancelled" in listing
    refused = client.post(f"{location}/send", data={"csrf_token": csrf})
    assert refused.status_code == 400 and "was cancelled" in refused.text


def test_an_invalid_broadcast_is_refused_with_the_services_reason_and_the_form_kept(
        client: TestClient, broadcasts: BroadcastService) -> None:
    csrf = signed_in(client, "broadcaster")
    reply = create(client, csrf, name="", template_sid_fr="HX123")
    assert reply.status_code == 400
    assert "a name of 1 to 120 characters is required" in reply.text
    assert "content_sid must be HX followed by 32 hexadecimal digits" in reply.text
    assert "تطعيم مجاني يوم السبت" in reply.text  # what was typed is still there
    bad_time = create(client, csrf, scheduled_at="next saturday")
    assert bad_time.status_code == 400 and "2026-01-31T14:00" in bad_time.text
    assert broadcasts.list() == []


def test_a_scheduled_broadcast_keeps_its_time(client: TestClient,
                                              broadcasts: BroadcastService) -> None:
    csrf = signed_in(client, "broadcaster")
    location = create(client, csrf, channel="telegram",
                      scheduled_at="2099-01-31T14:00").headers["location"]
    client.post(f"{location}/send", data={"csrf_token": csrf})
    status = broadcasts.status(int(location.rsplit("/", 1)[1]))
    assert status.state == "scheduled" and status.scheduled_at.isoformat() == "2099-01-31T14:00:00"
    assert "2099-01-31 14:00 UTC" in client.get(location).text


def test_an_unknown_broadcast_is_a_404(client: TestClient) -> None:
    signed_in(client, "broadcaster")
    assert client.get("/broadcasts/999").status_code == 404


def test_without_the_broadcast_service_the_pages_say_so(settings, seeded, accounts,  # type: ignore[no-untyped-def]
                                                        clock) -> None:
    from bot.dashboard import create_app

    with TestClient(create_app(settings, seeded, broadcasts=None, clock=clock),
                    follow_redirects=False) as client:
        signed_in(client, "admin")
        reply = client.get("/broadcasts")
        assert reply.status_code == 503 and "not available" in reply.text
        assert client.get("/overview").status_code == 200


def test_long_texts_in_every_language_reach_the_service(client: TestClient) -> None:
    """The form limit leaves room for four texts of 4,096 Arabic characters (6 bytes each,
    percent-encoded): the service, not the size limit, refuses them."""
    csrf = signed_in(client, "broadcaster")
    long_text = "ص" * 4096
    reply = create(client, csrf, text_en=long_text, text_fr=long_text, text_ar=long_text,
                   text_es=long_text)
    assert reply.status_code == 400
    assert "SMS segments (at most 10)" in reply.text
