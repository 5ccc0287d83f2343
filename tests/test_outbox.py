from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from vaults.models import OutboxMessage
from vaults.outbox import OutboxBackend

HOSTILE_HTML = '<p>Hello</p><script>alert("x")</script><img src=x onerror="steal()">'


def keep(subject="[Strongroom] prod-vault: Change passphrase (refused)", html=""):
    return OutboxMessage.objects.create(
        subject=subject,
        from_email="Strongroom <alerts@strongroom.local>",
        to=["alice@contoso.example"],
        body_text="Plain words & more",
        body_html=html,
        message_id="<alert-1.1@strongroom.local>",
    )


def test_the_backend_keeps_text_html_recipients_and_message_id(db):
    message = EmailMultiAlternatives(
        "Subject line",
        "Plain body",
        "alerts@strongroom.local",
        ["a@example.com"],
        cc=["b@example.com"],
        headers={"Message-ID": "<m-1@strongroom.local>"},
    )
    message.attach_alternative("<p>HTML body</p>", "text/html")

    assert OutboxBackend().send_messages([message]) == 1

    kept = OutboxMessage.objects.get()
    assert kept.subject == "Subject line"
    assert kept.to == ["a@example.com", "b@example.com"]
    assert kept.body_text == "Plain body"
    assert kept.body_html == "<p>HTML body</p>"
    assert kept.message_id == "<m-1@strongroom.local>"


def test_staff_see_the_outbox_newest_first(staff_client):
    keep("older message")
    keep("newer message")

    body = staff_client.get(reverse("outbox")).content.decode()

    assert body.index("newer message") < body.index("older message")
    assert 'href="/outbox/"' in body


def test_the_outbox_is_paged(staff_client):
    OutboxMessage.objects.bulk_create(
        OutboxMessage(subject=f"message {n:02d}", to=[], body_text="")
        for n in range(51)
    )

    body = staff_client.get(reverse("outbox")).content.decode()

    assert "Page 1 of 2 (51 items)" in body


def test_queries_do_not_grow_with_messages(staff_client, django_assert_max_num_queries):
    keep()
    with django_assert_max_num_queries(30) as few:
        staff_client.get(reverse("outbox"))
    for _ in range(30):
        keep()
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get(reverse("outbox"))


def test_a_message_shows_its_text_and_its_html_in_a_sandbox(staff_client):
    message = keep(html=HOSTILE_HTML)

    body = staff_client.get(reverse("outbox-message", args=[message.pk])).content
    body = body.decode()

    assert "Plain words &amp; more" in body
    assert 'sandbox=""' in body
    assert 'srcdoc="&lt;p&gt;Hello&lt;/p&gt;&lt;script&gt;' in body
    assert "<script>alert" not in body
    assert 'onerror="steal()"' not in body


def test_people_who_are_not_staff_cannot_read_the_outbox(verified_client):
    message = keep()

    assert verified_client.get(reverse("outbox")).status_code == 404
    detail = reverse("outbox-message", args=[message.pk])
    assert verified_client.get(detail).status_code == 404
    home = verified_client.get(reverse("home")).content.decode()
    assert 'href="/outbox/"' not in home


def test_a_missing_message_is_not_found(staff_client):
    assert staff_client.get(reverse("outbox-message", args=[999])).status_code == 404


def test_the_admin_console_shows_the_outbox_read_only(staff_client, django_user_model):
    from django.contrib.auth.models import Permission

    operator = django_user_model.objects.get(username="olga")
    operator.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    message = keep()

    listing = staff_client.get(reverse("admin:vaults_outboxmessage_changelist"))
    add = staff_client.get(reverse("admin:vaults_outboxmessage_add"))
    change = staff_client.post(
        reverse("admin:vaults_outboxmessage_change", args=[message.pk]),
        {"subject": "changed"},
    )

    assert message.subject in listing.content.decode()
    assert add.status_code == 403
    assert change.status_code == 403
    message.refresh_from_db()
    assert message.subject != "changed"
