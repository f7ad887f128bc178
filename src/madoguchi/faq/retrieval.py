"""Japanese FAQ retrieval that runs offline on a CPU: no Django here, so the benchmark, the `faq rank`
command and the web processes share exactly the same ranking.

Pipeline for each document (an FAQ) and each question a resident types:

1. normalise: NFKC (full/half width), lower case, 旧字 → 新字, long-vowel and iteration-mark variants;
2. words: SudachiPy (sudachidict-core) mode A, `normalized_form` (表記揺れ folding: 引っ越し/引越し,
   子供/子ども), content words only (名詞, 動詞 except 非自立可能, 形容詞, 形状詞, 副詞, 接頭辞, 接尾辞);
3. characters: bigrams of the normalised text (catches compounds the dictionary splits differently);
4. four BM25 indexes (bm25s): words and character bigrams, each over the FAQ's question side (question,
   phrasings, keywords) and over the whole FAQ (question side plus answer);
5. the query is expanded with the municipality's synonyms before tokenising;
6. fused score = Σ weight × (score / best score of that signal), so every signal counts on the same 0–1 scale.

`confidence()` is separate from ranking: the IDF-weighted share of the question's content words that the best
FAQ contains (question side counts fully, answer only half), times a penalty when the runner-up is as good.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import bm25s
import numpy as np

# bm25s logs every index build at DEBUG; the platform's log level should not turn that on.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# 旧字体 → 新字体 that NFKC leaves alone (names of places and offices on old documents).
_KYUJI = str.maketrans(
    "國體區齋齊邊邉澤學會舊與證續廣濱櫻縣龍嶋髙﨑當圖團寫廳號變辨瀨萬醫藥戶戸壽應擔檢驗淺渡氣價賣讀鐵關險點屬歸",
    "国体区斎斉辺辺沢学会旧与証続広浜桜県竜島高崎当図団写庁号変弁瀬万医薬戸戸寿応担検験浅渡気価売読鉄関険点属帰",
)
_SPACE = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w]+")
_SKIP, _KEEP, _NUMBER = 0, 1, 2
_CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "接尾辞"}
# Words that occur in almost every resident's question and carry no topic.
# A question longer than this is cut before analysis (the web and API accept 500 characters).
MAX_QUERY_CHARS = 2000
_STOP = frozenset(
    {
        "する",
        "ある",
        "いる",
        "なる",
        "できる",
        "こと",
        "もの",
        "ため",
        "よう",
        "方",
        "どう",
        "何",
        "いつ",
        "どこ",
        "教える",
        "知る",
        "思う",
        "いう",
        "ない",
        "良い",
        "いい",
        "欲しい",
        "たい",
        "下さる",
        "くださる",
        "お",
        "ご",
        "場合",
        "について",
        "答え",
        "質問",
        "answer",
        "question",
    }
)


def normalize(text: str) -> str:
    """NFKC, lower case, old kanji to new, collapse spaces; a question and an FAQ compare on this form."""
    text = unicodedata.normalize("NFKC", text or "").lower().translate(_KYUJI)
    text = text.replace("ゝ", "").replace("ヽ", "")
    return _SPACE.sub(" ", text).strip()


class Tokenizer:
    """Sudachi word tokens plus character bigrams. One per process; Sudachi's tokenizer object is not
    thread-safe, so each thread gets its own."""

    def __init__(self) -> None:
        from sudachipy import Dictionary, SplitMode

        self._dictionary = Dictionary(dict="core")
        self._mode = SplitMode.A
        self._local = threading.local()
        self._pos_cache: dict[int, int] = {}

    def _sudachi(self):
        tokenizer = getattr(self._local, "tokenizer", None)
        if tokenizer is None:
            # Only the fields used here are loaded per morpheme (measurably faster on long answers).
            tokenizer = self._local.tokenizer = self._dictionary.tokenizer(
                mode=self._mode, fields={"pos", "normalized_form"}
            )
        return tokenizer

    def _pos_kind(self, pos_id: int) -> int:
        """Whether a part of speech is kept (and numbers keep their surface form), decided once per id."""
        kind = self._pos_cache.get(pos_id)
        if kind is None:
            pos = self._dictionary.pos_of(pos_id)
            if pos[0] not in _CONTENT_POS or (pos[0] == "動詞" and pos[1] == "非自立可能"):
                kind = _SKIP
            elif pos[1] == "数詞":
                kind = _NUMBER
            else:
                kind = _KEEP
            self._pos_cache[pos_id] = kind
        return kind

    def words(self, text: str) -> list[str]:
        text = normalize(text)
        if not text:
            return []
        out: list[str] = []
        # Sudachi refuses input over ~49 kB; FAQ answers are far shorter, but be safe on hostile input.
        for start in range(0, len(text), 8000):
            for morpheme in self._sudachi().tokenize(text[start : start + 8000]):
                kind = self._pos_kind(morpheme.part_of_speech_id())
                if kind == _SKIP:
                    continue
                form = morpheme.surface() if kind == _NUMBER else morpheme.normalized_form()
                if form in _STOP or _NON_WORD.fullmatch(form):
                    continue
                out.append(form)
        return out

    @staticmethod
    def chars(text: str) -> list[str]:
        compact = _NON_WORD.sub("", normalize(text))
        return [compact[i : i + 2] for i in range(len(compact) - 1)]


_TOKENIZER: Tokenizer | None = None
_TOKENIZER_LOCK = threading.Lock()


def tokenizer() -> Tokenizer:
    global _TOKENIZER
    if _TOKENIZER is None:
        with _TOKENIZER_LOCK:
            if _TOKENIZER is None:
                _TOKENIZER = Tokenizer()
    return _TOKENIZER


@dataclass(frozen=True)
class Document:
    """What the ranker needs of an FAQ: its id, the question side (question, phrasings, keywords) and the answer."""

    id: str
    question: str
    answer: str = ""


@dataclass(frozen=True)
class TokenizedDocument:
    id: str
    question_words: list[str]
    answer_words: list[str]
    question_chars: list[str]
    answer_chars: list[str]


@dataclass(frozen=True)
class Weights:
    """Weights of the fused signals, tuned on the LocalGovFAQ development split (bench/faq_localgovfaq.py)."""

    word_question: float = 0.5
    word_all: float = 1.0
    char_question: float = 0.1
    char_all: float = 0.7
    k1: float = 1.2
    b: float = 0.75
    # BM25F-like: the question side counted this many times in the whole-FAQ index.
    question_repeat: int = 1
    # Pseudo-relevance feedback: the best words of the first `prf_docs` FAQs, added with `prf_weight`.
    prf_docs: int = 0
    prf_terms: int = 0
    prf_weight: float = 0.0


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Hit:
    id: str
    score: float


@dataclass
class Ranked:
    hits: list[Hit]
    confidence: float
    query_words: list[str] = field(default_factory=list)


def tokenize_document(document: Document) -> TokenizedDocument:
    tok = tokenizer()
    return TokenizedDocument(
        id=document.id,
        question_words=tok.words(document.question),
        answer_words=tok.words(document.answer),
        question_chars=tok.chars(document.question),
        answer_chars=tok.chars(document.answer),
    )


class _Bm25:
    def __init__(self, corpus: list[list[str]], *, k1: float, b: float) -> None:
        self.size = len(corpus)
        self.model = bm25s.BM25(k1=k1, b=b, method="lucene")
        self.vocab: dict[str, int] = {}
        if self.size:  # bm25s cannot index nothing; an empty municipality FAQ scores nothing
            # bm25s needs at least one token per document to build its matrix; the empty token pads.
            self.model.index([doc or [""] for doc in corpus], show_progress=False)
            self.vocab = self.model.vocab_dict

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        known = [t for t in tokens if t in self.vocab and t]
        if not known or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return self.model.get_scores(known)


class Synonyms:
    """Editable synonym groups: a question containing any phrase of a group is searched with the others too."""

    def __init__(self, groups: Iterable[Iterable[str]] = ()) -> None:
        self._groups: list[tuple[str, ...]] = []
        for group in groups:
            phrases = tuple(dict.fromkeys(normalize(p) for p in group if normalize(p)))
            if len(phrases) > 1:
                self._groups.append(phrases)

    def matches(self, text: str) -> list[tuple[str, tuple[str, ...]]]:
        """(the phrase found in the text, its whole group) for every group the text mentions."""
        normal = normalize(text)
        found = []
        for group in self._groups:
            for phrase in group:
                if phrase in normal:
                    found.append((phrase, group))
                    break
        return found

    def expand(self, text: str) -> str:
        normal = normalize(text)
        extra: list[str] = []
        for _phrase, group in self.matches(normal):
            extra.extend(phrase for phrase in group if phrase not in normal)
        return normal if not extra else normal + " " + " ".join(extra)

    def __len__(self) -> int:
        return len(self._groups)


class Index:
    """The ranking index of one municipality's published FAQs (immutable once built)."""

    def __init__(
        self,
        documents: Sequence[TokenizedDocument],
        *,
        synonyms: Synonyms | None = None,
        weights: Weights = DEFAULT_WEIGHTS,
    ) -> None:
        self.documents = list(documents)
        self.ids = [d.id for d in self.documents]
        self.synonyms = synonyms or Synonyms()
        self.weights = weights
        k1, b = weights.k1, weights.b
        self._word_q = _Bm25([d.question_words for d in self.documents], k1=k1, b=b)
        repeat = max(1, weights.question_repeat)
        self._word_all = _Bm25([d.question_words * repeat + d.answer_words for d in self.documents], k1=k1, b=b)
        self._char_q = _Bm25([d.question_chars for d in self.documents], k1=k1, b=b)
        self._char_all = _Bm25([d.question_chars + d.answer_chars for d in self.documents], k1=k1, b=b)
        self._question_sets = [frozenset(d.question_words) for d in self.documents]
        self._answer_sets = [frozenset(d.answer_words) for d in self.documents]
        df: dict[str, int] = {}
        for q, a in zip(self._question_sets, self._answer_sets, strict=True):
            for token in q | a:
                df[token] = df.get(token, 0) + 1
        n = max(len(self.documents), 1)
        self._idf = {token: math.log(1 + (n - count + 0.5) / (count + 0.5)) for token, count in df.items()}
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)

    @classmethod
    def build(cls, documents: Iterable[Document], **kwargs) -> Index:
        return cls([tokenize_document(d) for d in documents], **kwargs)

    def __len__(self) -> int:
        return len(self.documents)

    def signal_scores(self, text: str) -> tuple[list[str], dict[str, np.ndarray]]:
        expanded = self.synonyms.expand(text[:MAX_QUERY_CHARS])
        tok = tokenizer()
        words = tok.words(expanded)
        chars = tok.chars(expanded)
        return words, {
            "word_question": self._word_q.scores(words),
            "word_all": self._word_all.scores(words),
            "char_question": self._char_q.scores(chars),
            "char_all": self._char_all.scores(chars),
        }

    def fuse(self, signals: dict[str, np.ndarray], weights: Weights | None = None) -> np.ndarray:
        weights = weights or self.weights
        total = np.zeros(len(self.documents), dtype=np.float64)
        for name, scores in signals.items():
            weight = getattr(weights, name)
            top = float(scores.max()) if len(scores) else 0.0
            if weight and top > 0:
                total += weight * (scores / top)
        return total

    def rank(self, text: str, *, top: int = 10) -> Ranked:
        if not self.documents:
            return Ranked(hits=[], confidence=0.0)
        words, signals = self.signal_scores(text)
        fused = self.fuse(signals)
        if self.weights.prf_docs and self.weights.prf_terms and self.weights.prf_weight:
            fused = self._feedback(words, fused)
        order = _top_indices(fused, top)
        hits = [Hit(self.ids[i], float(fused[i])) for i in order if fused[i] > 0]
        confidence = self.confidence(text[:MAX_QUERY_CHARS], [i for i in order if fused[i] > 0], fused)
        return Ranked(hits=hits, confidence=confidence, query_words=words)

    def _feedback(self, words: Sequence[str], fused: np.ndarray) -> np.ndarray:
        """Pseudo-relevance feedback: add the most distinctive words of the first FAQs to the question."""
        first = [i for i in _top_indices(fused, self.weights.prf_docs) if fused[i] > 0]
        if not first:
            return fused
        asked = set(words)
        weight_of: dict[str, float] = {}
        for rank, i in enumerate(first):
            doc = self.documents[i]
            for token in set(doc.question_words) | set(doc.answer_words):
                if token not in asked:
                    weight_of[token] = weight_of.get(token, 0.0) + self._idf.get(token, 0.0) / (rank + 1)
        extra = sorted(weight_of, key=lambda t: -weight_of[t])[: self.weights.prf_terms]
        scores = self._word_all.scores(extra)
        top = float(scores.max()) if len(scores) else 0.0
        return fused if top <= 0 else fused + self.weights.prf_weight * (scores / top)

    def confidence(self, text: str, order: Sequence[int], fused: np.ndarray) -> float:
        """0–1: how much of what was asked the best FAQ covers, lowered when the runner-up is nearly as good.

        The question is split into units: each content word, weighted by its IDF, except that a phrase with
        synonyms is one unit, covered when the FAQ contains any phrase of its group. A unit found on the
        question side (question, phrasings, keywords) counts fully, one found only in the answer counts half."""
        if not order:
            return 0.0
        best = order[0]
        question_side, answer_side = self._question_sets[best], self._answer_sets[best]
        tok = tokenizer()
        remaining = normalize(text)
        units: list[tuple[float, float]] = []  # (weight, covered share)
        for phrase, group in self.synonyms.matches(remaining):
            remaining = remaining.replace(phrase, " ")
            best_share, weight = 0.0, 0.0
            for member in group:
                member_words = set(tok.words(member))
                if not member_words:
                    continue
                weight = max(weight, max(self._idf.get(t, self._unknown_idf) for t in member_words))
                if member_words <= question_side:
                    best_share = 1.0
                elif member_words <= question_side | answer_side:
                    best_share = max(best_share, 0.5)
            if weight:
                units.append((weight, best_share))
        for token in dict.fromkeys(tok.words(remaining)):
            weight = self._idf.get(token, self._unknown_idf)
            share = 1.0 if token in question_side else 0.5 if token in answer_side else 0.0
            units.append((weight, share))
        total = sum(weight for weight, _share in units)
        if not total:
            return 0.0
        coverage = sum(weight * share for weight, share in units) / total
        if len(order) > 1 and fused[best] > 0:
            margin = (fused[best] - fused[order[1]]) / fused[best]
            coverage *= 0.85 + 0.15 * min(1.0, margin * 4)
        return round(min(1.0, coverage), 4)


def _top_indices(scores: np.ndarray, top: int) -> list[int]:
    top = min(top, len(scores))
    if top <= 0:
        return []
    part = np.argpartition(-scores, top - 1)[:top]
    return [int(i) for i in part[np.argsort(-scores[part], kind="stable")]]


def split_question_answer(faq_id: str, text: str) -> Document:
    """A LocalGovFAQ-shaped corpus value `"Question: …\\nAnswer: …"` as a Document."""
    question, _sep, answer = text.partition("\nAnswer:")
    question = question.removeprefix("Question:").strip()
    return Document(id=faq_id, question=question, answer=answer.strip())
