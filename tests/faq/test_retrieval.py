import dataclasses
import time

import numpy as np
import pytest

from madoguchi.faq import retrieval
from madoguchi.faq.retrieval import Document, Index, Synonyms, normalize

DOCS = [
    Document("juminhyo", "住民票の写しを取りたい", "市民課で住民票の写しを交付します。手数料は300円です。"),
    Document("tennyu", "転入届の出し方", "他の市区町村から住所を移したときは14日以内に届け出てください。"),
    Document("sodai", "粗大ごみの出し方", "一辺が50cmを超えるごみは申し込んでから出してください。"),
    Document("hoikuen", "保育園の入園申し込み", "子育て支援課で受け付けます。"),
    Document("toshokan", "図書館の開館時間", "9時30分から18時まで開いています。"),
]


def test_normalize_folds_width_case_and_old_kanji():
    assert normalize("ＡＢＣ　１２３") == "abc 123"
    assert normalize("ｼﾞｭｳﾐﾝﾋｮｳ") == "ジュウミンヒョウ"
    assert normalize("國民健康保險") == "国民健康保険"


def test_words_are_content_words_in_normalised_form():
    words = retrieval.tokenizer().words("住民票を取りたいのですが")
    assert words == ["住民", "票", "取る"]  # mode A splits compounds; the particles and auxiliaries are dropped
    assert retrieval.tokenizer().words("子ども") == retrieval.tokenizer().words("子供")  # 表記揺れ folded


def test_the_matching_faq_ranks_first_and_confidence_is_high():
    index = Index.build(DOCS)
    ranked = index.rank("住民票がほしい")
    assert ranked.hits[0].id == "juminhyo"
    assert ranked.confidence >= 0.6


def test_an_unrelated_question_gets_low_confidence():
    index = Index.build(DOCS)
    assert index.rank("明日の天気を教えて").confidence < 0.3
    assert index.rank("おいしいラーメン屋").confidence < 0.3


def test_synonyms_let_residents_use_their_own_words():
    plain = Index.build(DOCS)
    with_synonyms = Index.build(DOCS, synonyms=Synonyms([["粗大ごみ", "大きいごみ"], ["転入", "引っ越してきた"]]))
    assert with_synonyms.rank("大きいごみを捨てたい").hits[0].id == "sodai"
    assert with_synonyms.rank("引っ越してきた").hits[0].id == "tennyu"
    assert with_synonyms.rank("引っ越してきた").confidence > plain.rank("引っ越してきた").confidence


def test_a_synonym_group_with_one_phrase_is_ignored():
    assert len(Synonyms([["住民票"], ["", " "], ["a", "b"]])) == 1


def test_empty_index_and_empty_question_answer_nothing():
    assert Index.build([]).rank("住民票").hits == []
    ranked = Index.build(DOCS).rank("？？？")
    assert ranked.hits == [] and ranked.confidence == 0.0


def test_residents_questions_do_not_fill_the_analysis_cache():
    index = Index.build(DOCS)
    tok = retrieval.tokenizer()
    faq_texts = len(tok._cache)
    assert faq_texts > 0  # the FAQs' own texts are remembered for the next rebuild
    for n in range(50):
        ranked = index.rank(f"住民票の写しを{n}通取りたい")
    assert ranked.hits and ranked.hits[0].id == index.rank("住民票を取りたい").hits[0].id
    assert len(tok._cache) == faq_texts  # fifty distinct questions, none kept


def test_hostile_input_is_ranked_without_error_and_quickly():
    index = Index.build(DOCS)
    started = time.perf_counter()
    for text in ["住民票" * 20000, "' OR 1=1 --", "<script>alert(1)</script>", "\u202e\u0000\uffff", "🙂" * 1000]:
        index.rank(text)
    assert time.perf_counter() - started < 5


def test_split_question_answer_reads_the_localgovfaq_shape():
    doc = retrieval.split_question_answer("7", "Question: 住民票は？\nAnswer: 市民課です。\n二行目")
    assert doc == Document("7", "住民票は？", "市民課です。\n二行目")


def test_index_build_and_query_latency_for_2000_faqs():
    """The issue's budget is build < 10 s for 2,000 FAQs and p99 < 20 ms per question; bench/faq_localgovfaq.py
    measures it on real FAQ text. Here, on a machine the suite shares with other work, twice the budget: a
    regression of the kind that matters (an order of magnitude) still fails."""
    docs = [
        Document(
            str(n),
            f"{topic}について知りたい{n}",
            f"{topic}の手続は{n}番窓口で受け付けます。必要なものは本人確認書類です。",
        )
        for n in range(2000)
        for topic in (["住民票", "転入届", "粗大ごみ", "保育園", "図書館", "固定資産税", "避難所", "児童手当"][n % 8],)
    ]
    started = time.perf_counter()
    index = Index.build(docs)
    assert time.perf_counter() - started < 20
    timings = []
    for question in ["住民票を取りたい", "引っ越してきた", "大きいごみ", "保育園に入れたい", "税金の払い方"] * 20:
        started = time.perf_counter()
        index.rank(question)
        timings.append(time.perf_counter() - started)
    timings.sort()
    assert timings[int(len(timings) * 0.99) - 1] < 0.04


def test_katakana_and_hiragana_spellings_match():
    tok = retrieval.tokenizer()
    assert tok.words("ゴミ") == tok.words("ごみ")
    index = Index.build(DOCS)
    assert index.rank("粗大ゴミを出したい").hits[0].id == "sodai"


def test_grams_match_a_compound_the_dictionary_folds_differently():
    # ゴミ出し is one dictionary word (normalised to 塵出し); its grams still meet ごみ in the FAQ.
    docs = [
        Document("gomi", "ごみの出し方", "分別して出してください。"),
        Document("bus", "市バスの運賃", "大人210円です。"),
    ]
    assert Index.build(docs).rank("ゴミ出しのルール").hits[0].id == "gomi"


def test_an_faq_with_many_phrasings_is_not_diluted():
    many = "\n".join(["図書館の開館時間", "図書館は何時まで", "図書館の休館日", "本を借りたい", "本の返却"])
    docs = [Document("library", many, "9時から開いています。"), Document("hall", "公民館の開館時間", "9時からです。")]
    index = Index.build(docs)
    _words, signals = index.signal_scores("図書館の開館時間")
    assert signals["word_question"][0] > 0.99  # the best line matches exactly, whatever the other lines say
    assert index.rank("図書館の開館時間").hits[0].id == "library"


def test_a_text_is_analysed_once_per_process(monkeypatch):
    tok = retrieval.tokenizer()
    tok.clear_cache()
    Index.build(DOCS)
    calls = []
    original = tok._analyse
    monkeypatch.setattr(tok, "_analyse", lambda text: calls.append(text) or original(text))
    changed = [Document("juminhyo", "住民票の写しが欲しい", DOCS[0].answer), *DOCS[1:]]
    Index.build(changed)
    assert calls == [normalize("住民票の写しが欲しい")]  # only the edited question is analysed again


def test_stored_tokens_round_trip_and_older_formats_are_refused():
    tokenized = retrieval.tokenize_document(DOCS[0])
    stored = tokenized.to_stored()
    assert retrieval.TokenizedDocument.from_stored(stored) == tokenized
    assert retrieval.TokenizedDocument.from_stored(["juminhyo", ["住民", "票"], ["市民"]]) is None
    assert retrieval.TokenizedDocument.from_stored("nonsense") is None


def test_an_faq_without_question_words_still_ranks_on_its_answer():
    docs = [Document("blank", "？？？", "粗大ごみは申し込んでから出してください。"), *DOCS[:2]]
    assert Index.build(docs).rank("粗大ごみの申し込み").hits[0].id == "blank"


def test_an_answer_keeps_its_sentence_breaks():
    analysis = retrieval.tokenizer().analyse("市民課で交付します。手数料は300円です！。土曜日は？")
    assert analysis.sentences() == [("市民", "課", "交付"), ("手数", "料", "300", "円"), ("土曜", "日")]
    assert retrieval.tokenizer().analyse("。。住民票。。").breaks == ()  # no empty sentences at either end


def test_stored_tokens_keep_sentence_breaks_and_the_previous_format_is_refused():
    tokenized = retrieval.tokenize_document(DOCS[0])
    stored = tokenized.to_stored()
    assert stored[3][2] == list(tokenized.answer.breaks) and tokenized.answer.breaks
    assert retrieval.TokenizedDocument.from_stored(stored).answer.sentences() == tokenized.answer.sentences()
    assert retrieval.TokenizedDocument.from_stored([stored[0], 2, stored[2], stored[3][:2]]) is None


def _related_words_corpus():
    # 蜂 occurs with 巣 and 駆除 in several FAQs, so the latent space puts them close; the question says 蜂 only,
    # the "nest" FAQ never does. (蜂の巣 is one dictionary word, so the FAQs keep 蜂 and 巣 apart.)
    return [
        Document("nest", "巣の駆除", "巣の駆除は業者へ。"),
        Document("bee1", "蜂に刺された", "蜂が作った巣は業者が駆除します。"),
        Document("bee2", "蜂を見つけた", "蜂に近づかず、巣の駆除を頼んでください。"),
        Document("bee3", "蜂が多い", "夏は蜂が増えるので巣を早めに駆除してください。"),
        Document("bus", "市バスの運賃", "市バスの運賃は210円です。"),
        Document("bus2", "バスの定期券", "市バスの定期券と運賃。"),
        Document("bus3", "バスの時刻表", "市バスの時刻表と運賃表。"),
    ]


def test_lsa_links_a_question_to_an_faq_through_words_that_occur_together():
    words = retrieval.tokenizer().words("蜂がいる")

    def lsa_scores(dimensions: int) -> dict[str, float]:
        reranker = dataclasses.replace(retrieval.DEFAULT_RERANKER, lsa_dimensions=dimensions)
        index = Index.build(_related_words_corpus(), reranker=reranker)
        assert index._word_question.scores(words)[0] == 0  # "nest" has no word of the question
        return dict(zip(index.ids, index._lsa.scores(words), strict=True))

    # Two dimensions for seven FAQs: room for the two topics, not for each word on its own.
    truncated = lsa_scores(2)
    assert truncated["nest"] > truncated["bus"] + 0.5 and truncated["nest"] > truncated["bus2"] + 0.5
    assert lsa_scores(100)["nest"] == pytest.approx(0, abs=1e-6)  # at full rank it is plain TF-IDF cosine


def test_lsa_of_a_small_corpus_is_the_exact_svd():
    index = Index.build(_related_words_corpus())
    lsa = index._lsa
    postings = lsa.cosine.postings
    matrix = np.zeros((postings.size, len(postings.vocab)))
    matrix[postings.docs, np.repeat(np.arange(len(postings.vocab)), postings.df.astype(int))] = lsa.cosine.weights
    left, singular, _right = np.linalg.svd(matrix, full_matrices=False)
    exact = left * singular
    exact /= np.linalg.norm(exact, axis=1, keepdims=True)
    np.testing.assert_allclose(lsa.document_vectors @ lsa.document_vectors.T, exact @ exact.T, atol=1e-6)


def test_candidate_features_measure_coverage_and_length():
    index = Index.build(DOCS)
    _words, order, features = index.candidate_features("住民票の写し", 10)
    row = features[order.index(index.ids.index("juminhyo"))]
    column = {name: n for n, name in enumerate(retrieval.FEATURES)}
    assert row[column["question_coverage"]] == 1.0 and row[column["coverage"]] == 1.0
    assert row[column["first_stage_rank"]] == 0.0  # the best first-stage candidate
    assert row[column["question_length"]] == pytest.approx(np.log1p(len(retrieval.tokenizer().words(DOCS[0].question))))


def test_the_reranker_decides_the_order_and_hit_scores_are_odds_against_the_best():
    docs = [
        Document("long", "図書館の本の返却ポストと開館時間と休館日について", "図書館は9時からです。"),
        Document("short", "図書館について", "図書館は駅前です。"),
    ]
    weights = dict.fromkeys(retrieval.FEATURES, 0.0)
    prefers_short = retrieval.Reranker(weights=tuple({**weights, "question_length": -5.0}.values()))
    prefers_long = retrieval.Reranker(weights=tuple({**weights, "question_length": 5.0}.values()))
    assert Index.build(docs, reranker=prefers_short).rank("図書館").hits[0].id == "short"
    ranked = Index.build(docs, reranker=prefers_long).rank("図書館")
    assert [h.id for h in ranked.hits] == ["long", "short"]
    assert ranked.hits[0].score == 1.0 and 0 < ranked.hits[1].score < 0.01
    with pytest.raises(ValueError):
        retrieval.Reranker(weights=(1.0,))


def test_an_faq_without_an_answer_is_still_ranked():
    docs = [Document("noanswer", "粗大ごみの出し方", ""), *DOCS[:2]]
    index = Index.build(docs)
    assert index.rank("粗大ごみを出したい").hits[0].id == "noanswer"
    assert Index.build([Document("only", "住民票", "")]).rank("住民票").hits[0].id == "only"
