"""The embedded mail backend: alert emails kept in the database for demos."""

from django.core.mail.backends.base import BaseEmailBackend

from vaults.models import OutboxMessage


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            html = ""
            for content, mimetype in getattr(message, "alternatives", []):
                if mimetype == "text/html":
                    html = content
            OutboxMessage.objects.create(
                subject=message.subject,
                from_email=message.from_email,
                to=list(message.to) + list(message.cc) + list(message.bcc),
                body_text=message.body,
                body_html=html,
                message_id=message.extra_headers.get("Message-ID", ""),
            )
        return len(email_messages)
