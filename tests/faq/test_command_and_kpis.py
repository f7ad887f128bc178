import datetime
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from madoguchi.core.dates import fiscal_year
from madoguchi.core.registry import registry
from madoguchi.core.tenancy import municipality_scope
from madoguchi.faq import kpis, services
from madoguchi.faq.models import Question


def test_rank_writes_the_top_ids_per_query(tmp_path):
    corpus = {
        "1": "Question: 住民票の写しを取りたい\nAnswer: 市民課で交付します。",
        "2": "Question: 粗大ごみの出し方\nAnswer: 申し込んでから出してください。",
        "3": "Question: 図書館の開館時間\nAnswer: 9時から18時までです。",
    }
    (tmp_path / "corpus.json").write_text(json.dumps(corpus, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "queries.json").write_text(
        json.dumps({"q1": "住民票がほしい", "q2": "大きなごみ 粗大ごみ"}), encoding="utf-8"
    )
    call_command(
        "faq",
        "rank",
        "--corpus",
        str(tmp_path / "corpus.json"),
        "--queries",
        str(tmp_path / "queries.json"),
        "--top",
        "2",
        "--output",
        str(tmp_path / "out.json"),
    )
    out = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert out["q1"][0] == "1" and out["q2"][0] == "2"
    assert all(len(ids) <= 2 for ids in out.values())


def test_rank_refuses_bad_files_with_a_clear_message(tmp_path):
    (tmp_path / "bad.json").write_text("[1, 2]", encoding="utf-8")
    (tmp_path / "ok.json").write_text("{}", encoding="utf-8")
    with pytest.raises(CommandError, match="JSON object of strings"):
        call_command(
            "faq",
            "rank",
            "--corpus",
            str(tmp_path / "bad.json"),
            "--queries",
            str(tmp_path / "ok.json"),
            "--output",
            str(tmp_path / "o.json"),
        )
    with pytest.raises(CommandError, match="Cannot read"):
        call_command(
            "faq",
            "rank",
            "--corpus",
            str(tmp_path / "nope.json"),
            "--queries",
            str(tmp_path / "ok.json"),
            "--output",
            str(tmp_path / "o.json"),
        )
    with pytest.raises(CommandError, match="--top"):
        call_command(
            "faq",
            "rank",
            "--corpus",
            str(tmp_path / "ok.json"),
            "--queries",
            str(tmp_path / "ok.json"),
            "--top",
            "0",
            "--output",
            str(tmp_path / "o.json"),
        )


def test_kpis_count_the_fiscal_year(faqs_a):
    city = faqs_a["sodai"].municipality
    with municipality_scope(city):
        answered = services.faq_ask(municipality=city, text="住民票がほしい")
        services.faq_ask(municipality=city, text="今日の天気")
        services.faq_ask(municipality=city, text="明日の天気")
        old = services.faq_ask(municipality=city, text="昔の質問")
        services.question_feedback(municipality=city, question_id=str(answered.question.public_id), helpful=True)
    with scopes_disabled():
        Question.objects.filter(pk=old.question.pk).update(asked_at=timezone.now() - datetime.timedelta(days=800))
    year = fiscal_year(timezone.localdate())
    with municipality_scope(city):
        assert_kpis(city, year)


def assert_kpis(city, year):
    assert kpis.questions_asked(city, fiscal_year=year).value == 3
    assert kpis.answer_rate(city, fiscal_year=year).value == pytest.approx(33.3)
    assert kpis.helpful_rate(city, fiscal_year=year).value == 100.0
    top = kpis.top_unanswered(city, fiscal_year=year).value
    assert top[0]["count"] == 2 and "天気" in top[0]["text"]
    assert kpis.answer_rate(city, fiscal_year=year - 5).value is None


def test_the_manifest_declares_the_kpi_providers_and_the_page_section():
    manifest = registry.get("faq")
    assert [p.__name__ for p in manifest.kpi_providers] == [
        "questions_asked",
        "answer_rate",
        "helpful_rate",
        "top_unanswered",
    ]
    assert manifest.page_sections and manifest.maintenance_tasks == ("madoguchi.faq.tasks.prune_questions",)
