"""iCalendar (RFC 5545) feeds written by hand: a public busy-time feed per room (no names) and a private feed
of one registration's bookings behind its unguessable token."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import BookedUnit, Booking, Registration, Room


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded (continuation lines start with a space)."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        piece = char.encode("utf-8")
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def _calendar(name: str, events: Iterable[list[str]]) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Madoguchi//facilities//JA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for event in events:
        lines += ["BEGIN:VEVENT", *event, "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def public_feed(room: Room, units: list[BookedUnit]) -> str:
    stamp = _utc(timezone.now())
    busy = _("予約済み")
    events = [
        [
            f"UID:unit-{unit.pk}@{room.public_id}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(unit.starts)}",
            f"DTEND:{_utc(unit.ends)}",
            f"SUMMARY:{_escape(busy)}",
            "TRANSP:OPAQUE",
        ]
        for unit in units
    ]
    return _calendar(f"{room.facility.display_name} {room.display_name}", events)


def private_feed(registration: Registration, bookings: list[Booking]) -> str:
    stamp = _utc(timezone.now())
    events = []
    for booking in bookings:
        units = list(booking.units.all())
        if not units:
            continue
        place = f"{booking.room.facility.display_name} {booking.room.display_name}"
        events.append(
            [
                f"UID:{booking.public_id}@madoguchi",
                f"DTSTAMP:{stamp}",
                f"DTSTART:{_utc(min(unit.starts for unit in units))}",
                f"DTEND:{_utc(max(unit.ends for unit in units))}",
                f"SUMMARY:{_escape(place)}",
                f"LOCATION:{_escape(booking.room.facility.address)}",
                f"DESCRIPTION:{_escape(f'{booking.number} {booking.get_status_display()}')}",
                "STATUS:" + ("CONFIRMED" if booking.status == "confirmed" else "TENTATIVE"),
            ]
        )
    return _calendar(registration.name, events)
