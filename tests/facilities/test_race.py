"""No double booking, ever: 50 parallel connections race for one unit; exactly one wins, the rest are refused
with "taken" (never an IntegrityError or a 500). Runs on SQLite and, with DATABASE_URL, on PostgreSQL."""

import threading

import pytest
from django.db import connection, connections

from madoguchi.core.tenancy import municipality_scope
from madoguchi.facilities.models import BookedUnit, Booking
from madoguchi.facilities.services import SlotTaken, booking_create

from ..factories import enable_module, make_municipality
from .conftest import make_facility, make_registration, make_room, next_open_day

RACERS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_connections_race_for_one_slot_exactly_one_wins():
    city = make_municipality(slug="race-city")
    enable_module(city, "facilities")
    room = make_room(make_facility(city))
    day = next_open_day()
    registrations = [make_registration(city) for _ in range(RACERS)]
    with municipality_scope(city):
        slot = room.slots.order_by("starts_at").first()
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(registration):
        try:
            barrier.wait()
            with municipality_scope(city):
                booking_create(
                    municipality=city,
                    room=room,
                    date=day,
                    slots=[slot],
                    registration=registration,
                    actor=registration.user,
                    request=None,
                )
            result = "won"
        except SlotTaken as taken:
            result = f"taken:{taken.message}"
        except Exception as exc:  # anything else is a failure of the guarantee
            result = f"error:{type(exc).__name__}:{exc}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=race, args=(registration,)) for registration in registrations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == RACERS
    assert outcomes.count("won") == 1, outcomes
    assert outcomes.count("taken:この枠は先に予約されました。") == RACERS - 1, outcomes
    with municipality_scope(city):
        assert Booking.objects.filter(room=room, date=day).count() == 1
        assert BookedUnit.objects.filter(room=room, date=day, is_active=True).count() == 1
    assert connection.vendor in {"sqlite", "postgresql"}
