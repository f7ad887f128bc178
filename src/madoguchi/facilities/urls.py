from django.urls import path

from . import views

app_name = "facilities"

urlpatterns = [
    path("", views.facility_list, name="list"),
    path("register/", views.registration_new, name="register"),
    path("mine/", views.mine, name="mine"),
    path("mine/bookings/<str:booking_id>/", views.mine_booking, name="mine_booking"),
    path("mine/bookings/<str:booking_id>/cancel/", views.mine_cancel, name="mine_cancel"),
    path("mine/bookings/<str:booking_id>/pay/", views.mine_pay, name="mine_pay"),
    path("mine/calendar/<str:registration_id>/regenerate/", views.mine_ical_regenerate, name="mine_ical_regenerate"),
    path("calendar/<str:token>.ics", views.mine_ical, name="mine_ical"),
    path("rooms/<str:room_id>/", views.room_calendar, name="room"),
    path("rooms/<str:room_id>/availability.ics", views.room_ical, name="room_ical"),
    path("rooms/<str:room_id>/book/", views.book, name="book"),
    path("photos/<str:photo_id>/", views.photo, name="photo"),
    path("<str:facility_slug>/", views.facility_detail, name="detail"),
    path("<str:facility_slug>/availability/", views.facility_calendar, name="facility_calendar"),
]
