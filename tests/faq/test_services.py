import datetime

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core.errors import ServiceError
from madoguchi.core.services import module_activation_set
from madoguchi.core.tenancy import municipality_scope
from madoguchi.faq import index, services
from madoguchi.faq.models import FaqIndexState, FaqRevision, Question

from ..factories import enable_module, make_department, make_staff
from .conftest import add_faq


def ask(municipality, text, **kwargs):
    with municipality_scope(municipality):
        return services.faq_ask(municipality=municipality, text=text, **kwargs)


def test_create_is_audited_with_a_first_revision_and_raises_the_index_version(faq_on_a):
    with scopes_disabled():
        before = FaqIndexState.objects.filter(municipality=faq_on_a).values_list("version", flat=True).first() or 0
    faq = add_faq(faq_on_a, "住民票の写しを取りたい", "市民課で交付します。")
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="faq.created", object_id=str(faq.public_id)).count() == 1
        assert list(FaqRevision.objects.filter(faq=faq).values_list("number", flat=True)) == [1]
        assert FaqIndexState.objects.get(municipality=faq_on_a).version > before


def test_update_records_what_changed_and_only_when_something_did(faqs_a):
    faq = faqs_a["sodai"]
    with municipality_scope(faq.municipality):
        services.faq_update(faq=faq, actor=None, data={"answer": "新しい回答です。"}, request=None)
        services.faq_update(faq=faq, actor=None, data={"answer": "新しい回答です。"}, request=None)
    with scopes_disabled():
        revisions = list(FaqRevision.objects.filter(faq=faq).order_by("number"))
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].changed_fields == ["answer"] and revisions[1].content["answer"] == "新しい回答です。"


def test_duplicate_question_is_refused_at_the_question_field(faqs_a):
    with pytest.raises(ServiceError) as refused:
        add_faq(faqs_a["sodai"].municipality, "粗大ごみの出し方", "別の回答")
    assert refused.value.code == "faq_duplicate" and refused.value.field == "question"


def test_another_municipalitys_department_is_refused(faq_on_a, city_b):
    other = make_department(city_b)
    with pytest.raises(ServiceError) as refused:
        add_faq(faq_on_a, "質問です", "回答です", department=other)
    assert refused.value.field == "department"


def test_department_staff_write_only_for_their_own_department(faq_on_a):
    own = make_department(faq_on_a)
    staff = make_staff(faq_on_a, Role.DEPARTMENT_STAFF, department=own)
    with municipality_scope(faq_on_a), pytest.raises(ServiceError) as refused:
        services.faq_create(municipality=faq_on_a, actor=staff, data={"question": "q", "answer": "a"}, request=None)
    assert refused.value.code == "department_not_yours"


def test_a_known_question_is_answered_with_related_faqs_and_logged(faqs_a):
    koseki = add_faq(faqs_a["juminhyo"].municipality, "戸籍謄本を取りたい", "市民課で交付します。", category="証明書")
    answer = ask(faqs_a["juminhyo"].municipality, "住民票がほしいです")
    assert answer.answered and answer.best == faqs_a["juminhyo"]
    assert answer.confidence >= answer.threshold
    assert koseki in answer.related and faqs_a["juminhyo"] not in answer.related and len(answer.related) <= 3
    with scopes_disabled():
        logged = Question.objects.get(pk=answer.question.pk)
    assert logged.answered and logged.top_faq == faqs_a["juminhyo"] and logged.text == "住民票がほしいです"


def test_an_unrelated_question_is_admitted_with_candidates_and_the_contact(faqs_a):
    answer = ask(faqs_a["juminhyo"].municipality, "明日の天気を教えてください")
    assert not answer.answered and answer.best is None and answer.related == []
    with scopes_disabled():
        assert Question.objects.get(pk=answer.question.pk).answered is False


def test_personal_data_never_reaches_the_log(faqs_a):
    answer = ask(faqs_a["juminhyo"].municipality, "住民票 電話090-1234-5678 a@b.jp 番号123456789012")
    with scopes_disabled():
        text = Question.objects.get(pk=answer.question.pk).text
    assert "090" not in text and "a@b.jp" not in text and "123456789012" not in text
    assert text == "住民票 電話[電話番号] [メール] 番号[番号]"


def test_an_empty_question_is_refused_at_the_field(faq_on_a):
    with pytest.raises(ServiceError) as refused:
        ask(faq_on_a, " \x00 ")
    assert refused.value.field == "q"


def test_one_municipalitys_faq_never_answers_anothers_residents(faqs_a, city_b):
    enable_module(city_b, "faq")
    add_faq(city_b, "図書館の開館時間", "9時から開いています。")
    answer = ask(city_b, "住民票の写しを取りたい")
    assert answer.best is None or answer.best.municipality_id == city_b.pk
    assert all(f.municipality_id == city_b.pk for f in answer.candidates + answer.related)


def test_the_threshold_is_the_municipalitys_setting(faqs_a):
    city = faqs_a["juminhyo"].municipality
    with municipality_scope(city):
        module_activation_set(
            municipality=city,
            actor=None,
            module_key="faq",
            enabled=True,
            settings={"confidence_threshold": 95, "log_retention_days": 365},
            request=None,
        )
    answer = ask(city, "住民票のことで")
    assert answer.threshold == 0.95
    assert answer.answered is (answer.confidence >= 0.95)


def test_feedback_is_idempotent_and_another_municipalitys_question_is_404(faqs_a, city_b):
    from django.http import Http404

    answer = ask(faqs_a["juminhyo"].municipality, "住民票がほしい")
    city = faqs_a["juminhyo"].municipality
    with municipality_scope(city):
        services.question_feedback(municipality=city, question_id=str(answer.question.public_id), helpful=False)
        first = Question.objects.get(pk=answer.question.pk).feedback_at
        services.question_feedback(municipality=city, question_id=str(answer.question.public_id), helpful=False)
        assert Question.objects.get(pk=answer.question.pk).feedback_at == first
    with municipality_scope(city_b), pytest.raises(Http404):
        services.question_feedback(municipality=city_b, question_id=str(answer.question.public_id), helpful=True)


def test_adding_a_phrasing_resolves_the_group_and_improves_the_next_answer(faqs_a):
    city = faqs_a["sodai"].municipality
    missed = ask(city, "ソファーを処分したい")
    with municipality_scope(city):
        services.faq_add_phrasing(
            faq=faqs_a["sodai"],
            actor=None,
            phrasing="ソファーを処分したい",
            resolves=[str(missed.question.public_id), "bad-id"],
            request=None,
        )
        assert Question.objects.get(pk=missed.question.pk).resolved_faq == faqs_a["sodai"]
    again = ask(city, "ソファーを処分したい")
    assert again.answered and again.best == faqs_a["sodai"]


def test_questions_past_the_retention_are_pruned_and_the_prune_is_audited(faqs_a):
    city = faqs_a["sodai"].municipality
    old = ask(city, "古い質問")
    new = ask(city, "新しい質問")
    with scopes_disabled():
        Question.objects.filter(pk=old.question.pk).update(asked_at=timezone.now() - datetime.timedelta(days=400))
    with municipality_scope(city):
        assert services.questions_prune(municipality=city) == 1
    with scopes_disabled():
        assert list(Question.objects.values_list("pk", flat=True)) == [new.question.pk]
        assert AuditEvent.objects.filter(action="faq.questions_pruned", municipality=city).exists()


def test_daily_maintenance_queues_the_prune_for_every_municipality(faqs_a, city_b):
    from madoguchi.core.maintenance import daily_maintenance

    city = faqs_a["sodai"].municipality
    old = ask(city, "古い質問")
    with scopes_disabled():
        Question.objects.filter(pk=old.question.pk).update(asked_at=timezone.now() - datetime.timedelta(days=400))
    daily_maintenance.call()
    with scopes_disabled():
        assert not Question.objects.filter(pk=old.question.pk).exists()


def test_every_process_sees_a_change_at_its_next_question(faqs_a):
    city = faqs_a["sodai"].municipality
    assert not ask(city, "マンホールのふたが外れている", log=False).answered
    with municipality_scope(city):
        first = index.current_index(city)
    add_faq(city, "マンホールのふたが外れている", "すぐに建設課へ連絡してください。")
    with municipality_scope(city):
        assert index.current_index(city) is not first
    assert ask(city, "マンホールのふたが外れている", log=False).answered


def test_the_rebuild_task_stores_tokens_that_processes_load_instead_of_analysing(
    city_b, django_capture_on_commit_callbacks
):
    enable_module(city_b, "faq")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        faq = add_faq(city_b, "犬の登録をしたい", "環境課で登録します。")
        add_faq(city_b, "猫の相談", "環境課へどうぞ。")
    assert len(callbacks) == 1  # one rebuild per transaction, however many FAQs changed
    with scopes_disabled():
        state = FaqIndexState.objects.get(municipality=city_b)
    assert state.built_version == state.version
    assert str(faq.public_id) in {row[0] for row in state.tokens}
    index.clear_cache()
    assert ask(city_b, "犬の登録をしたい", log=False).best == faq


def test_tokens_stored_by_an_older_analysis_are_ignored(city_b, django_capture_on_commit_callbacks):
    enable_module(city_b, "faq")
    with django_capture_on_commit_callbacks(execute=True):
        faq = add_faq(city_b, "犬の登録をしたい", "環境課で登録します。")
    with scopes_disabled():
        state = FaqIndexState.objects.get(municipality=city_b)
        # The shape the first analysis stored: [id, question words, answer words].
        FaqIndexState.objects.filter(pk=state.pk).update(tokens=[[str(faq.public_id), ["猫"], ["猫"]]])
    index.clear_cache()
    assert ask(city_b, "犬の登録をしたい", log=False).best == faq
