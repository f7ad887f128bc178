from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.faq.models import Faq, FaqRevision, Question, Synonym

from ..factories import make_department, make_staff, staff_client
from .conftest import add_faq


def admin_client(city):
    return staff_client(make_staff(city))


def test_staff_create_an_faq_and_see_its_history(faqs_a):
    client = admin_client(faqs_a["sodai"].municipality)
    response = client.post(
        "/city-a/staff/faq/add/",
        {
            "question": "犬の登録をしたい",
            "answer": "環境課で登録します。",
            "phrasings": "犬を飼い始めた",
            "is_published": "on",
            "last_reviewed_on": "令和8年4月1日",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        faq = Faq.objects.get(question="犬の登録をしたい")
    assert faq.last_reviewed_on.isoformat() == "2026-04-01"
    client.post(
        f"/city-a/staff/faq/{faq.public_id}/",
        {"question": "犬の登録をしたい", "answer": "環境課で登録します（無料）。", "is_published": "on"},
    )
    page = client.get(f"/city-a/staff/faq/{faq.public_id}/").content.decode()
    assert "変更履歴" in page and "answer" in page
    with scopes_disabled():
        assert FaqRevision.objects.filter(faq=faq).count() == 2


def test_a_bad_form_keeps_what_was_typed_and_says_what_is_wrong(faqs_a):
    client = admin_client(faqs_a["sodai"].municipality)
    page = client.post(
        "/city-a/staff/faq/add/", {"question": "粗大ごみの出し方", "answer": "", "category": "x" * 61}
    ).content.decode()
    assert "回答を入力してください。" in page and "分類は60文字以内にしてください。" in page
    assert 'value="粗大ごみの出し方"' in page and 'href="#id_answer"' in page
    page = client.post("/city-a/staff/faq/add/", {"question": "粗大ごみの出し方", "answer": "回答"}).content.decode()
    assert "同じ質問のFAQがすでにあります。" in page


def test_another_municipalitys_faq_is_404_in_the_back_office(faqs_a, city_b):
    from ..factories import enable_module

    enable_module(city_b, "faq")
    other = add_faq(city_b, "乙市だけの質問", "乙市の回答")
    client = admin_client(faqs_a["sodai"].municipality)
    assert client.get(f"/city-a/staff/faq/{other.public_id}/").status_code == 404
    assert client.post(f"/city-a/staff/faq/{other.public_id}/delete/").status_code == 404
    with scopes_disabled():
        assert Faq.objects.filter(pk=other.pk).exists()


def test_department_staff_see_only_their_own_departments_faqs_and_cannot_import(faqs_a, shimin_dept_a):
    city = faqs_a["sodai"].municipality
    staff = staff_client(make_staff(city, Role.DEPARTMENT_STAFF, department=shimin_dept_a))
    page = staff.get("/city-a/staff/faq/").content.decode()
    assert "住民票の写しを取りたい" in page and "粗大ごみの出し方" not in page
    assert staff.get(f"/city-a/staff/faq/{faqs_a['sodai'].public_id}/").status_code == 404
    assert staff.get("/city-a/staff/faq/import/").status_code == 403
    assert staff.get("/city-a/staff/faq/export.csv").status_code == 403


def test_delete_is_audited(faqs_a):
    client = admin_client(faqs_a["sodai"].municipality)
    assert client.post(f"/city-a/staff/faq/{faqs_a['sodai'].public_id}/delete/").status_code == 302
    with scopes_disabled():
        assert not Faq.objects.filter(pk=faqs_a["sodai"].pk).exists()
        assert AuditEvent.objects.filter(action="faq.deleted").count() == 1


CSV = (
    "question,phrasings,answer,category,department,published,last_reviewed\n"
    "マイナンバーカードを作りたい,マイナカード | 個人番号カード,市民課で申請できます。,マイナンバー,市民課,1,2026-04-01\n"
    "粗大ごみの出し方,,新しい回答です。,ごみ,,1,\n"
)


def test_import_utf8_with_bom_creates_and_updates(faqs_a, shimin_dept_a):
    client = admin_client(faqs_a["sodai"].municipality)
    upload = SimpleUploadedFile("faq.csv", ("\ufeff" + CSV).encode("utf-8"), content_type="text/csv")
    response = client.post("/city-a/staff/faq/import/", {"file": upload})
    assert response.status_code == 302
    with scopes_disabled():
        created = Faq.objects.get(question="マイナンバーカードを作りたい")
        assert created.phrasing_list() == ["マイナカード", "個人番号カード"] and created.department == shimin_dept_a
        assert Faq.objects.get(pk=faqs_a["sodai"].pk).answer == "新しい回答です。"
        assert AuditEvent.objects.filter(action="faq.imported").count() == 1


def test_import_cp932_with_japanese_headers(faqs_a):
    client = admin_client(faqs_a["sodai"].municipality)
    text = "質問,回答,分類\n図書館の開館時間,9時から18時までです。,施設\n"
    upload = SimpleUploadedFile("faq.csv", text.encode("cp932"), content_type="text/csv")
    assert client.post("/city-a/staff/faq/import/", {"file": upload}).status_code == 302
    with scopes_disabled():
        assert Faq.objects.filter(question="図書館の開館時間", category="施設").exists()


def test_import_refuses_the_whole_file_and_lists_each_bad_line(faqs_a):
    client = admin_client(faqs_a["sodai"].municipality)
    text = "question,answer,department,published\nよい行,回答,,1\n,回答だけ,,1\n課がない,回答,存在しない課,1\n公開が変,回答,,maybe\n"
    page = client.post(
        "/city-a/staff/faq/import/", {"file": SimpleUploadedFile("f.csv", text.encode())}
    ).content.decode()
    assert "3行目" in page and "4行目" in page and "存在しない課" in page and "5行目" in page
    assert "何も取り込んでいません" in page
    with scopes_disabled():
        assert not Faq.objects.filter(question="よい行").exists()


def test_import_refuses_files_it_cannot_read(faqs_a):
    client = admin_client(faqs_a["sodai"].municipality)
    for raw, message in [
        (b"\xff\xfe\x00\x81garbage\x80", "文字コードを読み取れません"),
        (b"title,body\nx,y\n", "question（質問）と answer（回答）"),
    ]:
        page = client.post("/city-a/staff/faq/import/", {"file": SimpleUploadedFile("f.csv", raw)}).content.decode()
        assert message in page


def test_export_round_trips_through_import_and_guards_formulas(faqs_a):
    city = faqs_a["sodai"].municipality
    add_faq(city, '=HYPERLINK("x")', "+数式のような回答")
    client = admin_client(city)
    response = client.get("/city-a/staff/faq/export.csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffquestion,phrasings,answer")
    assert "'=HYPERLINK" in body and "'+数式" in body
    with scopes_disabled():
        Faq.objects.filter(municipality=city).delete()
    upload = SimpleUploadedFile("faq.csv", body.encode("utf-8"))
    assert client.post("/city-a/staff/faq/import/", {"file": upload}).status_code == 302
    with scopes_disabled():
        assert Faq.objects.filter(municipality=city, question='=HYPERLINK("x")').exists()
        assert Faq.objects.filter(municipality=city).count() == 5


def test_synonyms_are_edited_and_change_the_answers(faqs_a):
    city = faqs_a["sodai"].municipality
    client = admin_client(city)
    assert client.post("/city-a/staff/faq/synonyms/", {"phrases": "ひとつだけ"}).status_code == 200
    assert client.post("/city-a/staff/faq/synonyms/", {"phrases": "粗大ごみ、でかいごみ"}).status_code == 302
    answer = Client().get("/city-a/faq/", {"q": "でかいごみ"}).content.decode()
    assert "粗大ごみは申し込んでから" in answer
    with scopes_disabled():
        synonym = Synonym.objects.get()
    assert client.post(f"/city-a/staff/faq/synonyms/{synonym.public_id}/", {"delete": "1"}).status_code == 302
    with scopes_disabled():
        assert not Synonym.objects.exists()


def test_misses_are_grouped_with_counts_and_become_an_faq_in_two_clicks(faqs_a):
    city = faqs_a["sodai"].municipality
    resident = Client()
    for text in [
        "マンホールのふたが外れている",
        "マンホールのふたが外れています",
        "マンホールのふたが壊れている",
        "今日の天気",
    ]:
        resident.get("/city-a/faq/", {"q": text})
    client = admin_client(city)
    page = client.get("/city-a/staff/faq/misses/").content.decode()
    assert "マンホールのふたが" in page and "3 件" in page
    with scopes_disabled():
        ids = [str(q.public_id) for q in Question.objects.filter(text__startswith="マンホール")]
    # Click 1: "new FAQ" opens the form prefilled with the residents' wording.
    form = client.get("/city-a/staff/faq/add/", {"resolves": ids}).content.decode()
    assert "マンホールのふたが" in form and form.count('name="resolves"') == 3
    # Click 2: save.
    response = client.post(
        "/city-a/staff/faq/add/",
        {
            "question": "マンホールのふたが外れている",
            "answer": "建設課へ連絡してください。",
            "is_published": "on",
            "resolves": ids,
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert Question.objects.filter(resolved_faq__question="マンホールのふたが外れている").count() == 3
    after = client.get("/city-a/staff/faq/misses/").content.decode()
    assert "外れています" not in after and "壊れている" not in after and "今日の天気" in after
    assert "建設課へ連絡" in resident.get("/city-a/faq/", {"q": "マンホールのふたが外れている"}).content.decode()


def test_a_miss_is_added_as_a_phrasing_in_two_clicks(faqs_a):
    city = faqs_a["sodai"].municipality
    Client().get("/city-a/faq/", {"q": "ソファーを処分したい"})
    with scopes_disabled():
        question = Question.objects.get()
    client = admin_client(city)
    assert "ソファーを処分したい" in client.get("/city-a/staff/faq/misses/").content.decode()
    response = client.post(
        "/city-a/staff/faq/misses/phrasing/",
        {
            "faq": str(faqs_a["sodai"].public_id),
            "phrasing": "ソファーを処分したい",
            "resolves": [str(question.public_id)],
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert "ソファーを処分したい" in Faq.objects.get(pk=faqs_a["sodai"].pk).phrasing_list()
        assert Question.objects.get().resolved_faq_id == faqs_a["sodai"].pk


def test_a_phrasing_cannot_go_to_another_municipalitys_faq(faqs_a, city_b):
    from ..factories import enable_module

    enable_module(city_b, "faq")
    other = add_faq(city_b, "乙市の質問", "乙市の回答")
    client = admin_client(faqs_a["sodai"].municipality)
    client.post("/city-a/staff/faq/misses/phrasing/", {"faq": str(other.public_id), "phrasing": "乗っ取り"})
    with scopes_disabled():
        assert Faq.objects.get(pk=other.pk).phrasings == ""


def test_not_helpful_feedback_is_listed_per_faq(faqs_a):
    city = faqs_a["sodai"].municipality
    resident = Client()
    resident.get("/city-a/faq/", {"q": "住民票がほしい"})
    with scopes_disabled():
        question = Question.objects.get()
    resident.post(f"/city-a/faq/feedback/{question.public_id}/", {"helpful": "no"})
    client = admin_client(city)
    page = client.get("/city-a/staff/faq/feedback/").content.decode()
    assert "住民票の写しを取りたい" in page
    edit = client.get(f"/city-a/staff/faq/{faqs_a['juminhyo'].public_id}/").content.decode()
    assert "住民票がほしい" in edit


def test_department_staff_cannot_add_a_phrasing_to_another_departments_faq(faqs_a, shimin_dept_a):
    city = faqs_a["sodai"].municipality
    other_dept = make_department(city)
    staff = staff_client(make_staff(city, Role.DEPARTMENT_STAFF, department=other_dept))
    staff.post("/city-a/staff/faq/misses/phrasing/", {"faq": str(faqs_a["juminhyo"].public_id), "phrasing": "x"})
    with scopes_disabled():
        assert "x" not in Faq.objects.get(pk=faqs_a["juminhyo"].pk).phrasing_list()
