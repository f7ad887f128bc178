from django.urls import path

from . import staff_views as views

app_name = "faq_staff"

urlpatterns = [
    path("", views.faq_list, name="list"),
    path("add/", views.faq_edit, name="add"),
    path("import/", views.faq_import, name="import"),
    path("export.csv", views.faq_export, name="export"),
    path("synonyms/", views.synonyms, name="synonyms"),
    path("synonyms/<str:synonym_id>/", views.synonym_edit, name="synonym_edit"),
    path("misses/", views.misses, name="misses"),
    path("misses/phrasing/", views.add_phrasing, name="add_phrasing"),
    path("feedback/", views.feedback, name="feedback"),
    path("<str:faq_id>/", views.faq_edit, name="edit"),
    path("<str:faq_id>/delete/", views.faq_delete, name="delete"),
]
