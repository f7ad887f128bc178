from django.urls import path

from . import staff_views as views

app_name = "facilities_staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.facility_new, name="facility_new"),
    path("registrations/", views.registrations, name="registrations"),
    path("registrations/<str:registration_id>/decide/", views.registration_decide, name="registration_decide"),
    path("reductions/new/", views.reduction_edit, name="reduction_new"),
    path("reductions/<int:reduction_id>/", views.reduction_edit, name="reduction_edit"),
    path("bookings/<str:booking_id>/", views.booking, name="booking"),
    path("bookings/<str:booking_id>/action/", views.booking_action, name="booking_action"),
    path("bookings/<str:booking_id>/move/", views.booking_move, name="booking_move"),
    path("checkin/<str:token>/", views.checkin, name="checkin"),
    path("rooms/<str:room_id>/", views.room_edit, name="room_edit"),
    path("rooms/<str:room_id>/units/new/", views.slot_edit, name="slot_new"),
    path("rooms/<str:room_id>/units/<int:slot_id>/", views.slot_edit, name="slot_edit"),
    path("rooms/<str:room_id>/book/", views.book_on_behalf, name="book"),
    path("rooms/<str:room_id>/block/", views.block, name="block"),
    path("photos/<str:photo_id>/", views.photo_action, name="photo_action"),
    path("<str:facility_id>/", views.facility, name="facility"),
    path("<str:facility_id>/photos/", views.photos, name="photos"),
    path("<str:facility_id>/edit/", views.facility_edit, name="facility_edit"),
    path("<str:facility_id>/rooms/new/", views.room_new, name="room_new"),
    path("<str:facility_id>/equipment/new/", views.equipment_edit, name="equipment_new"),
    path("<str:facility_id>/equipment/<int:equipment_id>/", views.equipment_edit, name="equipment_edit"),
    path("<str:facility_id>/day/", views.day, name="day"),
    path("<str:facility_id>/day.csv", views.day_csv, name="day_csv"),
]
