app_name = "facilities_staff"
urlpatterns: list = []
