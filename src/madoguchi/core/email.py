"""Outgoing e-mail, always one message per recipient (never a To/CC list) and always through a task."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task


@task()
def send_email_task(*, to: str, subject: str, body: str) -> None:
    EmailMessage(subject=subject, body=body, to=[to]).send(fail_silently=False)


def send_templated_email(*, to: str, template: str, context: dict, language: str = "ja") -> None:
    """Render `<template>_subject.txt` and `<template>_body.txt` in the recipient's language and queue the
    message once the surrounding transaction commits (a rolled-back write sends nothing)."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context)
    transaction.on_commit(lambda: send_email_task.enqueue(to=to, subject=subject, body=body))
