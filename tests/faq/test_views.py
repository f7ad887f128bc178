from django.test import Client
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.faq.models import Question

from ..factories import enable_module, make_staff, staff_client
from .conftest import add_faq


def test_the_widget_is_on_resident_pages_of_a_municipality_with_the_module(faqs_a, city_b):
    page = Client().get("/city-a/").content.decode()
    assert "data-faq-widget" in page and 'action="/city-a/faq/"' in page and 'role="log"' in page
    assert "data-faq-widget" not in Client().get("/city-b/").content.decode()  # module off there


def test_the_widget_is_not_in_the_back_office(faqs_a):
    admin = make_staff(faqs_a["sodai"].municipality)
    page = staff_client(admin).get("/city-a/staff/").content.decode()
    assert "data-faq-widget" not in page


def test_without_javascript_the_chat_is_a_search_form_that_answers(faqs_a):
    response = Client().get("/city-a/faq/", {"q": "住民票がほしい"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "住民票の写しを取りたい" in page
    assert 'href="/city-a/procedures/juminhyo/"' in page  # the answer's link to the online procedure
    assert f"/city-a/faq/{faqs_a['juminhyo'].public_id}/" in page  # its source FAQ
    assert 'name="helpful" value="no"' in page
    assert 'value="住民票がほしい"' in page  # what the resident typed is kept


def test_an_unknown_question_shows_candidates_and_the_department_contact(faqs_a):
    from madoguchi.core.models import Municipality

    Municipality.objects.filter(slug="city-a").update(office_hours="平日 8:30〜17:15", contact_phone="0881111111")
    page = Client().get("/city-a/faq/", {"q": "今日の天気"}).content.decode()
    assert "確かな答えが見つかりませんでした" in page
    assert "担当窓口にお問い合わせください" in page
    assert "平日 8:30〜17:15" in page  # the opening hours
    assert 'href="tel:0881111111"' in page or 'href="tel:0881234567"' in page  # a number to call


def test_the_partial_answer_for_the_widget_is_a_fragment(faqs_a):
    response = Client().get("/city-a/faq/", {"q": "粗大ごみ", "partial": "1"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and "data-faq-answer" in body


def test_an_empty_or_oversized_question_gets_a_message_at_the_field(faqs_a):
    page = Client().get("/city-a/faq/", {"q": ""}).content.decode()
    assert "質問を入力してください。" in page and 'href="#id_q"' in page
    page = Client().get("/city-a/faq/", {"q": "あ" * 501}).content.decode()
    assert "質問は500文字以内にしてください。" in page
    with scopes_disabled():
        assert not Question.objects.exists()


def test_the_chat_is_in_english_when_chosen(faqs_a):
    page = Client().get("/city-a/faq/", {"q": "天気", "lang": "en"}).content.decode()
    assert "Ask the AI chatbot" in page and "We could not find a sure answer" in page


def test_feedback_without_javascript_redirects_back_and_with_fetch_returns_a_fragment(faqs_a):
    Client().get("/city-a/faq/", {"q": "住民票がほしい"})
    with scopes_disabled():
        question = Question.objects.get()
    client = Client()
    response = client.post(f"/city-a/faq/feedback/{question.public_id}/", {"helpful": "no", "next": "/city-a/faq/?q=x"})
    assert response.status_code == 302 and response["Location"] == "/city-a/faq/?q=x"
    response = client.post(
        f"/city-a/faq/feedback/{question.public_id}/",
        {"helpful": "yes", "next": "https://evil.example/"},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 200 and "ありがとうございました" in response.content.decode()
    with scopes_disabled():
        assert Question.objects.get().helpful is True
    assert client.post(f"/city-a/faq/feedback/{question.public_id}/", {"helpful": "maybe"}).status_code == 400
    assert client.post("/city-a/faq/feedback/not-a-uuid/", {"helpful": "yes"}).status_code == 404


def test_feedback_open_redirect_is_refused(faqs_a):
    Client().get("/city-a/faq/", {"q": "住民票がほしい"})
    with scopes_disabled():
        question = Question.objects.get()
    response = Client().post(
        f"/city-a/faq/feedback/{question.public_id}/", {"helpful": "no", "next": "//evil.example/"}
    )
    assert response["Location"] == "/city-a/faq/"


def test_another_municipalitys_faq_page_is_404(faqs_a, city_b):
    enable_module(city_b, "faq")
    other = add_faq(city_b, "乙市の質問", "乙市の回答")
    assert Client().get(f"/city-a/faq/{other.public_id}/").status_code == 404
    assert Client().get(f"/city-b/faq/{other.public_id}/").status_code == 200
    assert Client().get("/city-a/faq/<script>/").status_code == 404


def test_pages_are_404_when_the_module_is_off(city_a):
    assert Client().get("/city-a/faq/").status_code == 404
    assert Client().get("/city-a/faq/all/").status_code == 404


def test_the_list_groups_faqs_by_category(faqs_a):
    page = Client().get("/city-a/faq/all/").content.decode()
    assert "証明書" in page and "粗大ごみの出し方" in page


def test_the_rate_limit_refuses_with_a_message(faqs_a, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "faq_ask": (2, 600)}
    client = Client()
    assert client.get("/city-a/faq/", {"q": "住民票"}).status_code == 200
    assert client.get("/city-a/faq/", {"q": "住民票"}).status_code == 200
    response = client.get("/city-a/faq/", {"q": "住民票"})
    assert response.status_code == 429 and "しばらくしてから" in response.content.decode()


def test_the_chat_page_has_no_inline_script_or_style(faqs_a):
    page = Client().get("/city-a/faq/", {"q": "住民票"}).content.decode()
    assert "<style" not in page and "style=" not in page and "<script>" not in page
    assert "onclick" not in page


def test_counter_staff_cannot_open_the_faq_back_office(faqs_a):
    counter = make_staff(faqs_a["sodai"].municipality, Role.COUNTER_STAFF)
    assert staff_client(counter).get("/city-a/staff/faq/").status_code == 403
