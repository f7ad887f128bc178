"""Japanese FAQ retrieval that runs offline on a CPU: no Django here, so the benchmark, the `faq rank`
command and the web processes share exactly the same ranking.

Pipeline for each text (an FAQ's question, each phrasing, its keywords, its answer; a resident's question):

1. normalise: NFKC (full/half width), lower case, 旧字 → 新字, iteration-mark variants;
2. one SudachiPy (sudachidict-core) pass in mode A keeps the content words (名詞, 動詞 except 非自立可能,
   形容詞, 形状詞, 副詞, 接頭辞, 接尾辞; stopwords out). Each gives its `normalized_form` (表記揺れ folding:
   引っ越し/引越し, 子供/子ども) and its surface; katakana is folded to hiragana in both (ゴミ/ごみ);
3. words are the normalised forms; grams are the characters and character bigrams *within* each content
   word's surface, so a compound the dictionary splits differently (自転車 / 自転 車) or folds to another
   form (ゴミ出し → 塵出し) still matches, while the question's 「教えてください」 adds nothing;
4. four signals: BM25 over the whole FAQ (question side plus answer) on words and on grams, and TF-IDF
   cosine between the question and the FAQ's question side on words and on grams (the best of its question,
   each phrasing and the keywords, so an FAQ with many phrasings is not diluted). Cosine, unlike BM25,
   penalises an FAQ question about something more specific than what was asked;
5. the question is expanded with the municipality's synonyms before analysis;
6. first stage: fused score = Σ weight × (score / best score of that signal), so every signal counts on the
   same 0–1 scale;
7. second stage: the first stage's best 50 are reordered by a linear model (`Reranker`) over ten `FEATURES`:
   the four signals and the first-stage rank, how much of the question (IDF-weighted) the FAQ's question side
   and the whole FAQ contain, the length of the FAQ's question (broad FAQs answer more questions), cosine in
   a latent semantic space of the FAQs (`_Lsa`: related words, not only the same ones) and TF-IDF cosine with
   the FAQ's closest answer sentence. On LocalGovFAQ the fusion alone ranked a judged FAQ first far less often
   than it had one among its best 50; bench/faq_localgovfaq.py fits the weights and reports the cross-validated
   gain of the model and of each feature (bench/README.md).

Analysis is the cost of an index build (BM25, cosine and the LSA over 2,000 FAQs take about a second), so
each distinct text's analysis is kept in a bounded process-wide cache: rebuilding after one FAQ changed
analyses only that FAQ.

`confidence()` is separate from ranking: the IDF-weighted share of the question's content words that the best
FAQ contains (question side counts fully, answer only half), times a penalty when the runner-up is nearly as
likely (its odds against the best, from the reranker's scores).
"""

from __future__ import annotations

import math
import re
import sys
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, pairwise

import numpy as np

# 旧字体 → 新字体 that NFKC leaves alone (names of places and offices on old documents).
_KYUJI = str.maketrans(
    "國體區齋齊邊邉澤學會舊與證續廣濱櫻縣龍嶋髙﨑當圖團寫廳號變辨瀨萬醫藥戶戸壽應擔檢驗淺渡氣價賣讀鐵關險點屬歸",
    "国体区斎斉辺辺沢学会旧与証続広浜桜県竜島高崎当図団写庁号変弁瀬万医薬戸戸寿応担検験浅渡気価売読鉄関険点属帰",
)
_SPACE = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w]+")
_SKIP, _KEEP, _NUMBER = 0, 1, 2
# Morphemes that end a sentence (after NFKC, so full-width ！？ are these too); `_form` gives them _BREAK.
_SENTENCE_ENDS = frozenset({"。", "!", "?", "．"})
_BREAK = "。"
_CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "接尾辞"}
# Katakana → hiragana (ァ U+30A1 … ヶ U+30F6 sit 0x60 above ぁ … ゖ), applied to analysed words only.
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
# A question longer than this is cut before analysis (the web and API accept 500 characters).
MAX_QUERY_CHARS = 2000
# Sudachi refuses input over ~49 kB; FAQ answers are far shorter, but hostile input is cut into pieces.
_CHUNK = 8000
# Sudachi numbers out-of-vocabulary morphemes from 0xF0000000 up, one id per kind, not per word.
_OOV_WORD_IDS = 0xF0000000
_LOOKUP_LIMIT = 500_000
# Distinct texts whose analysis a process keeps (a 2,000-FAQ municipality has about 4,000 texts).
ANALYSIS_CACHE_SIZE = 16384
# Words that occur in almost every resident's question and carry no topic.
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
        "つく",  # the つい of について, split off by mode A
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


@dataclass(frozen=True)
class Analysis:
    """The content words of one text: normalised forms (`words`) and, in the same order, surfaces; `breaks`
    are the positions in `words` where a new sentence starts (after 。！？), so an answer can be compared
    sentence by sentence."""

    words: tuple[str, ...] = ()
    surfaces: tuple[str, ...] = ()
    breaks: tuple[int, ...] = ()

    def grams(self) -> list[str]:
        """Characters and character bigrams within each content word's surface."""
        return list(chain.from_iterable(map(_surface_grams, self.surfaces)))

    def sentences(self) -> list[tuple[str, ...]]:
        """The words of each sentence (sentences without content words left out)."""
        bounds = [0, *self.breaks, len(self.words)]
        return [self.words[a:b] for a, b in pairwise(bounds) if b > a]


@lru_cache(maxsize=65536)
def _surface_grams(surface: str) -> tuple[str, ...]:
    # Surfaces recur across FAQs, so each one's grams are worked out once per process.
    return (*surface, *(surface[i : i + 2] for i in range(len(surface) - 1)))


EMPTY = Analysis()


class Tokenizer:
    """Sudachi analysis into content words. One per process; Sudachi's tokenizer object is not thread-safe,
    so each thread gets its own."""

    def __init__(self) -> None:
        from sudachipy import Dictionary, SplitMode

        self._dictionary = Dictionary(dict="core")
        self._mode = SplitMode.A
        self._local = threading.local()
        self._pos_cache: dict[int, int] = {}
        self._cache: OrderedDict[str, Analysis] = OrderedDict()
        self._cache_lock = threading.Lock()
        # Dictionary word → the word it contributes, and surface → its cleaned form: most morphemes of a
        # build are words seen before, so the per-morpheme work is two dictionary look-ups. (Shared by
        # threads: a race only computes the same value twice.)
        self._by_word_id: dict[int, str] = {}
        self._clean_surface: dict[str, str] = {}

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

    def analyse(self, text: str, *, remember: bool = True) -> Analysis:
        """The text's content words; a text seen before is answered from the cache. Residents' questions are
        analysed with remember=False: each is new, and keeping them would push the FAQs' own texts out of the
        cache (the analysis is the same either way)."""
        text = normalize(text)
        if not text:
            return EMPTY
        if not remember:
            return self._analyse(text)
        with self._cache_lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
        analysis = self._analyse(text)
        with self._cache_lock:
            self._cache[text] = analysis
            if len(self._cache) > ANALYSIS_CACHE_SIZE:
                self._cache.popitem(last=False)
        return analysis

    def _analyse(self, text: str) -> Analysis:
        words: list[str] = []
        surfaces: list[str] = []
        breaks: list[int] = []
        by_word_id = self._by_word_id
        clean_surface = self._clean_surface
        sudachi = self._sudachi()
        for start in range(0, len(text), _CHUNK):
            for morpheme in sudachi.tokenize(text[start : start + _CHUNK]):
                word_id = morpheme.word_id()
                form = by_word_id.get(word_id) if word_id < _OOV_WORD_IDS else None
                if form is None:
                    form = self._form(morpheme)
                    if word_id < _OOV_WORD_IDS and len(by_word_id) < _LOOKUP_LIMIT:
                        by_word_id[word_id] = form
                if not form:
                    continue
                if form is _BREAK:
                    if words and (not breaks or breaks[-1] < len(words)):
                        breaks.append(len(words))
                    continue
                surface = morpheme.surface()
                cleaned = clean_surface.get(surface)
                if cleaned is None:
                    cleaned = sys.intern(_NON_WORD.sub("", surface).translate(_KATAKANA_TO_HIRAGANA))
                    if len(clean_surface) < _LOOKUP_LIMIT:  # questions are hostile input: stay bounded
                        clean_surface[surface] = cleaned
                words.append(form)
                surfaces.append(cleaned)
        if breaks and breaks[-1] == len(words):
            breaks.pop()
        return Analysis(tuple(words), tuple(surfaces), tuple(breaks))

    def _form(self, morpheme) -> str:
        """The word a morpheme contributes ("" when it is skipped, _BREAK when it ends a sentence): its
        normalised form, or for a number its surface, katakana folded; interned, as the same few thousand words
        recur in every FAQ."""
        kind = self._pos_kind(morpheme.part_of_speech_id())
        if kind == _SKIP:
            return _BREAK if morpheme.surface() in _SENTENCE_ENDS else ""
        form = morpheme.surface() if kind == _NUMBER else morpheme.normalized_form()
        form = form.translate(_KATAKANA_TO_HIRAGANA)
        if form in _STOP or _NON_WORD.fullmatch(form):
            return ""
        return sys.intern(form)

    def words(self, text: str, *, remember: bool = True) -> list[str]:
        return list(self.analyse(text, remember=remember).words)

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()


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
    """What the ranker needs of an FAQ: its id, the question side (question, phrasings and keywords, one per
    line) and the answer."""

    id: str
    question: str
    answer: str = ""


@dataclass(frozen=True)
class TokenizedDocument:
    id: str
    question_units: tuple[Analysis, ...]  # the question, each phrasing, the keywords: one analysis per line
    answer: Analysis

    @property
    def question_words(self) -> list[str]:
        return [word for unit in self.question_units for word in unit.words]

    @property
    def answer_words(self) -> list[str]:
        return list(self.answer.words)

    def to_stored(self) -> list:
        """JSON for FaqIndexState.tokens (see `from_stored`)."""
        return [
            self.id,
            STORED_FORMAT,
            [[list(u.words), list(u.surfaces)] for u in self.question_units],
            [list(self.answer.words), list(self.answer.surfaces), list(self.answer.breaks)],
        ]

    @classmethod
    def from_stored(cls, row: Sequence) -> TokenizedDocument | None:
        """The document from `to_stored`'s JSON; None for a row of another (older) format."""
        if not isinstance(row, list | tuple) or len(row) != 4 or row[1] != STORED_FORMAT:
            return None
        faq_id, _format, units, answer = row

        def analysis(stored: Sequence) -> Analysis:
            words, surfaces, *breaks = stored
            return Analysis(
                tuple(map(sys.intern, words)),
                tuple(map(sys.intern, surfaces)),
                tuple(int(b) for b in breaks[0]) if breaks else (),
            )

        return cls(id=str(faq_id), question_units=tuple(analysis(u) for u in units), answer=analysis(answer))


# Raised whenever the analysis changes (POS filter, folding, stopwords), so stored tokens of an older
# analysis are ignored rather than mixed with new ones.
STORED_FORMAT = 3


@dataclass(frozen=True)
class Weights:
    """Weights of the fused signals and BM25's parameters, tuned on the LocalGovFAQ development split
    (bench/faq_localgovfaq.py prints what each signal adds)."""

    word_all: float = 1.0
    word_question: float = 1.0
    gram_all: float = 1.0
    gram_question: float = 0.5
    k1: float = 1.2
    b: float = 0.75
    # Grams repeat within a text far more than words, so their term frequency saturates later.
    gram_k1: float = 2.0


DEFAULT_WEIGHTS = Weights()

# What the reranker sees of each candidate FAQ (see `Index.candidate_features`).
FEATURES = (
    "word_all",  # the four first-stage signals, each divided by its best score over all FAQs
    "word_question",
    "gram_all",
    "gram_question",
    "first_stage_rank",  # log(1 + position) in the fused first-stage ranking
    "question_coverage",  # IDF-weighted share of the question's words on the FAQ's question side
    "coverage",  # the same share anywhere in the FAQ (question side or answer)
    "question_length",  # log(1 + words in the FAQ's question line): a broad FAQ answers more questions
    "lsa",  # cosine in the latent semantic space of the FAQs (related words, not only the same ones)
    "answer_sentence",  # TF-IDF cosine with the FAQ's closest answer sentence, over the best of all FAQs
)


@dataclass(frozen=True)
class Reranker:
    """A linear model over `FEATURES` that reorders the first stage's best `candidates`. Its weights were
    fitted by bench/faq_localgovfaq.py --fit (softmax over each question's candidates, L2-regularised, on
    the LocalGovFAQ development split; the benchmark reports the cross-validated figures). exp(score) is
    proportional to the model's probability that a candidate answers the question."""

    weights: tuple[float, ...]
    candidates: int = 50
    lsa_dimensions: int = 100

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"a reranker needs {len(FEATURES)} weights, one per feature")


# Fitted by `bench/faq_localgovfaq.py --fit` (in FEATURES' order, on the raw features).
DEFAULT_RERANKER = Reranker(weights=(0.6123, -0.4821, 1.4403, 1.1312, -0.2889, 0.8225, 1.6818, -1.0512, 2.2122, 0.7002))


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
    lines = [line for line in (document.question or "").split("\n") if line.strip()]
    units = tuple(unit for unit in (tok.analyse(line) for line in lines) if unit.words)
    return TokenizedDocument(id=document.id, question_units=units, answer=tok.analyse(document.answer))


class _Postings:
    """Term → (document numbers, term frequencies) for a corpus of token lists, built with numpy."""

    def __init__(self, corpus: Sequence[Sequence[str]]) -> None:
        self.size = len(corpus)
        tokens = list(chain.from_iterable(corpus))
        # Mapping through C-level dict methods: a per-token Python loop is most of a build's time otherwise.
        self.vocab: dict[str, int] = {token: n for n, token in enumerate(dict.fromkeys(tokens))}
        vocab = self.vocab
        term_ids = list(map(vocab.__getitem__, tokens))
        self.lengths = np.fromiter((len(doc) for doc in corpus), dtype=np.float64, count=self.size)
        doc_ids = np.repeat(np.arange(self.size, dtype=np.int64), self.lengths.astype(np.int64))
        keys, tf = np.unique(np.asarray(term_ids, dtype=np.int64) * max(self.size, 1) + doc_ids, return_counts=True)
        terms = keys // max(self.size, 1)
        self.docs = (keys % max(self.size, 1)).astype(np.int32)
        self.tf = tf.astype(np.float64)
        self.ptr = np.searchsorted(terms, np.arange(len(vocab) + 1))
        self.df = np.diff(self.ptr).astype(np.float64)

    def term_ids(self, tokens: Iterable[str]) -> list[int]:
        """Distinct known terms of a query, in order."""
        return [i for i in dict.fromkeys(self.vocab.get(t, -1) for t in tokens) if i >= 0]


class _Bm25:
    """Okapi BM25 with Lucene's IDF, log(1 + (N − df + 0.5) / (df + 0.5)); each distinct query term once."""

    def __init__(self, corpus: Sequence[Sequence[str]], *, k1: float, b: float) -> None:
        self.postings = p = _Postings(corpus)
        self.size = p.size
        average = float(p.lengths.mean()) if p.size and p.lengths.sum() else 1.0
        idf = np.log1p((p.size - p.df + 0.5) / (p.df + 0.5))
        norm = k1 * (1 - b + b * p.lengths / average)
        term_of_posting = np.repeat(np.arange(len(p.df)), p.df.astype(np.int64))
        self.weights = idf[term_of_posting] * p.tf * (k1 + 1) / (p.tf + norm[p.docs])

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        p = self.postings
        out = np.zeros(self.size, dtype=np.float64)
        for term in p.term_ids(tokens):
            start, end = p.ptr[term], p.ptr[term + 1]
            out[p.docs[start:end]] += self.weights[start:end]
        return out


class _Cosine:
    """TF-IDF cosine ((1 + log tf) × log((N + 1) / (df + 0.5)), L2-normalised) between a question and units
    (question lines); a document scores the best of its units."""

    def __init__(self, units: Sequence[Sequence[str]], unit_document: Sequence[int], size: int) -> None:
        self.postings = p = _Postings(units)
        self.size = size
        self.unit_document = np.asarray(unit_document, dtype=np.int64)
        self.one_unit_each = len(units) == size and bool(np.all(self.unit_document == np.arange(size)))
        self.idf = np.log((p.size + 1) / (p.df + 0.5))
        self.unknown_idf = math.log((p.size + 1) / 0.5)
        term_of_posting = np.repeat(np.arange(len(p.df)), p.df.astype(np.int64))
        weights = (1 + np.log(p.tf)) * self.idf[term_of_posting] if len(p.tf) else np.zeros(0)
        norms = np.sqrt(np.bincount(p.docs, weights=weights**2, minlength=p.size))
        self.weights = weights / np.where(norms > 0, norms, 1.0)[p.docs]

    def query_weights(self, tokens: Sequence[str]) -> tuple[list[tuple[int, float]], float]:
        """The question's known terms with their TF-IDF weights, and the norm of its whole vector (unknown
        words included, so a question about something the FAQs never mention scores low)."""
        p = self.postings
        counts: dict[str, int] = {}
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
        query: list[tuple[int, float]] = []
        norm = 0.0
        for token, count in counts.items():
            term = p.vocab.get(token, -1)
            weight = (1 + math.log(count)) * (self.idf[term] if term >= 0 else self.unknown_idf)
            norm += weight * weight
            if term >= 0:
                query.append((term, weight))
        return query, math.sqrt(norm)

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        if not self.size or not tokens:
            return np.zeros(self.size, dtype=np.float64)
        p = self.postings
        query, norm = self.query_weights(tokens)
        unit_scores = np.zeros(p.size, dtype=np.float64)
        for term, weight in query:
            start, end = p.ptr[term], p.ptr[term + 1]
            unit_scores[p.docs[start:end]] += self.weights[start:end] * weight
        unit_scores /= norm or 1.0
        if self.one_unit_each:
            return unit_scores
        out = np.zeros(self.size, dtype=np.float64)
        np.maximum.at(out, self.unit_document, unit_scores)
        return out


class _Lsa:
    """Latent semantic analysis: a rank-`dimensions` truncated SVD of the FAQs' TF-IDF matrix (the L2-normalised
    weights of a one-unit-per-FAQ `_Cosine`), so a question meets an FAQ whose words occur in the same FAQs as
    its own (スズメバチ and 蜂の巣, 産後 and 出生届) and not only the same words. Computed with a randomised range
    finder (Halko, Martinsson and Tropp 2011; two power iterations, a fixed seed so every process gets the same
    space) from products of the sparse postings with thin dense matrices: no document × term matrix is formed."""

    OVERSAMPLING = 20
    POWER_ITERATIONS = 2

    def __init__(self, cosine: _Cosine, dimensions: int) -> None:
        self.cosine = cosine
        p = cosine.postings
        size, terms = p.size, len(p.vocab)
        width = min(dimensions + self.OVERSAMPLING, size, terms)
        rank = min(dimensions, width)
        self.term_vectors = np.zeros((terms, rank))
        self.document_vectors = np.zeros((size, rank))
        if rank == 0:
            return
        # Postings are grouped by term; a second ordering groups them by document. Each product sums blocks
        # of weighted rows with reduceat, a few columns at a time to bound the temporary arrays.
        posting_docs, values = p.docs, cosine.weights
        by_doc = np.argsort(posting_docs, kind="stable")
        doc_counts = np.bincount(posting_docs, minlength=size)
        nonempty = np.flatnonzero(doc_counts)
        doc_starts = np.concatenate(([0], np.cumsum(doc_counts)[:-1]))[nonempty]
        doc_terms = np.repeat(np.arange(terms), p.df.astype(np.int64))[by_doc]
        doc_values = values[by_doc]
        term_starts = p.ptr[:-1]
        block = max(1, 4_000_000 // max(len(values), 1))

        def times(dense: np.ndarray) -> np.ndarray:  # X @ dense, dense: terms × width
            out = np.zeros((size, dense.shape[1]))
            for c in range(0, dense.shape[1], block):
                rows = doc_values[:, None] * dense[doc_terms, c : c + block]
                out[nonempty, c : c + block] = np.add.reduceat(rows, doc_starts, axis=0)
            return out

        def transposed_times(dense: np.ndarray) -> np.ndarray:  # Xᵀ @ dense, dense: documents × width
            out = np.zeros((terms, dense.shape[1]))
            for c in range(0, dense.shape[1], block):
                out[:, c : c + block] = np.add.reduceat(
                    values[:, None] * dense[posting_docs, c : c + block], term_starts, axis=0
                )
            return out

        sample = times(np.random.default_rng(0).standard_normal((terms, width)))
        for _round in range(self.POWER_ITERATIONS):
            # Columns rescaled rather than orthonormalised between rounds: two rounds cannot collapse them in
            # double precision (singular values of TF-IDF matrices fall slowly), and every small LAPACK call
            # costs a quarter of a second on a busy machine with two BLAS threads.
            sample /= np.maximum(np.linalg.norm(sample, axis=0), 1e-300)
            sample = times(transposed_times(sample))
        basis = _orthonormal(sample)
        projected = transposed_times(basis)  # Xᵀ Q: the SVD of its transpose is X's, restricted to the basis
        squares, left = np.linalg.eigh(projected.T @ projected)
        keep = np.argsort(-squares)[:rank]
        singular = np.sqrt(np.maximum(squares[keep], 0.0))
        left = left[:, keep]
        # Single precision halves what each process keeps per municipality; cosines need no more.
        self.term_vectors = ((projected @ left) / np.where(singular > 0, singular, 1.0)).astype(np.float32)
        documents = (basis @ left) * singular
        norms = np.linalg.norm(documents, axis=1, keepdims=True)
        self.document_vectors = (documents / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """Cosine between the question folded into the space and each FAQ."""
        query, _norm = self.cosine.query_weights(tokens)
        if not query or not self.term_vectors.shape[1]:
            return np.zeros(len(self.document_vectors))
        terms, weights = zip(*query, strict=True)
        folded = np.asarray(weights, dtype=np.float32) @ self.term_vectors[list(terms)]
        norm = float(np.linalg.norm(folded))
        if norm == 0:
            return np.zeros(len(self.document_vectors))
        return (self.document_vectors @ (folded / norm)).astype(np.float64)


def _orthonormal(matrix: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the columns' span, from the eigenvectors of the small Gram matrix rather than a
    QR decomposition: LAPACK's QR is slow on a busy machine with several BLAS threads, a k × k eigh is not."""
    squares, vectors = np.linalg.eigh(matrix.T @ matrix)
    kept = squares > squares.max() * 1e-10 if len(squares) else squares > 0
    return (matrix @ vectors[:, kept]) / np.sqrt(squares[kept])


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

    SIGNALS = ("word_all", "word_question", "gram_all", "gram_question")

    def __init__(
        self,
        documents: Sequence[TokenizedDocument],
        *,
        synonyms: Synonyms | None = None,
        weights: Weights = DEFAULT_WEIGHTS,
        reranker: Reranker | None = DEFAULT_RERANKER,
    ) -> None:
        self.documents = list(documents)
        self.ids = [d.id for d in self.documents]
        self.synonyms = synonyms or Synonyms()
        self.weights = weights
        self.reranker = reranker
        size = len(self.documents)
        # An FAQ without any question line still competes on its answer, through an empty unit.
        units = [(n, unit) for n, d in enumerate(self.documents) for unit in (d.question_units or (EMPTY,))]
        unit_document = [n for n, _unit in units]
        question_words = [d.question_words for d in self.documents]
        unit_grams = [unit.grams() for _n, unit in units]
        question_grams: list[list[str]] = [[] for _d in self.documents]
        for (n, _unit), grams in zip(units, unit_grams, strict=True):
            question_grams[n].extend(grams)
        self._word_all = _Bm25(
            [q + list(d.answer.words) for q, d in zip(question_words, self.documents, strict=True)],
            k1=weights.k1,
            b=weights.b,
        )
        self._gram_all = _Bm25(
            [q + d.answer.grams() for q, d in zip(question_grams, self.documents, strict=True)],
            k1=weights.gram_k1,
            b=weights.b,
        )
        self._word_question = _Cosine([list(unit.words) for _n, unit in units], unit_document, size)
        self._gram_question = _Cosine(unit_grams, unit_document, size)
        if reranker is not None:
            # An FAQ without an answer sentence gets an empty one, like a question without words above.
            sentences = [(n, s) for n, d in enumerate(self.documents) for s in (d.answer.sentences() or [()])]
            self._answer_sentence = _Cosine([s for _n, s in sentences], [n for n, _s in sentences], size)
            whole = _Cosine(
                [q + list(d.answer.words) for q, d in zip(question_words, self.documents, strict=True)],
                range(size),
                size,
            )
            self._lsa = _Lsa(whole, reranker.lsa_dimensions)
            self._question_length = np.log1p(
                [len(d.question_units[0].words) if d.question_units else 0 for d in self.documents]
            )
        self._question_sets = [frozenset(words) for words in question_words]
        self._answer_sets = [frozenset(d.answer.words) for d in self.documents]
        df: dict[str, int] = {}
        for q, a in zip(self._question_sets, self._answer_sets, strict=True):
            for token in q | a:
                df[token] = df.get(token, 0) + 1
        n = max(size, 1)
        self._idf = {token: math.log(1 + (n - count + 0.5) / (count + 0.5)) for token, count in df.items()}
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)

    @classmethod
    def build(cls, documents: Iterable[Document], **kwargs) -> Index:
        return cls([tokenize_document(d) for d in documents], **kwargs)

    def __len__(self) -> int:
        return len(self.documents)

    def signal_scores(self, text: str) -> tuple[list[str], dict[str, np.ndarray]]:
        analysis = tokenizer().analyse(self.synonyms.expand(text[:MAX_QUERY_CHARS]), remember=False)
        words, grams = list(analysis.words), analysis.grams()
        return words, {
            "word_all": self._word_all.scores(words),
            "word_question": self._word_question.scores(words),
            "gram_all": self._gram_all.scores(grams),
            "gram_question": self._gram_question.scores(grams),
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

    def candidate_features(self, text: str, candidates: int) -> tuple[list[str], list[int], np.ndarray]:
        """The question's words, the first stage's best `candidates` FAQs (fused score above 0) and their
        `FEATURES`, one row per candidate. Needs an index built with a reranker."""
        words, signals = self.signal_scores(text)
        fused = self.fuse(signals)
        order = [i for i in _top_indices(fused, candidates) if fused[i] > 0]
        features = np.zeros((len(order), len(FEATURES)))
        if not order:
            return words, order, features
        for column, name in enumerate(self.SIGNALS):
            scores = signals[name]
            top = float(scores.max())
            if top > 0:
                features[:, column] = scores[order] / top
        features[:, 4] = np.log1p(np.arange(len(order)))
        distinct = list(dict.fromkeys(words))
        idf = [self._idf.get(word, self._unknown_idf) for word in distinct]
        total = sum(idf) or 1.0
        for row, i in enumerate(order):
            question_side, answer_side = self._question_sets[i], self._answer_sets[i]
            on_question = sum(w for word, w in zip(distinct, idf, strict=True) if word in question_side)
            in_answer = sum(
                w for word, w in zip(distinct, idf, strict=True) if word in answer_side and word not in question_side
            )
            features[row, 5] = on_question / total
            features[row, 6] = (on_question + in_answer) / total
        features[:, 7] = self._question_length[order]
        features[:, 8] = self._lsa.scores(words)[order]
        sentence = self._answer_sentence.scores(words)
        top = float(sentence.max())
        if top > 0:
            features[:, 9] = sentence[order] / top
        return words, order, features

    def rank(self, text: str, *, top: int = 10) -> Ranked:
        """The best `top` FAQs. Hit scores are relative: with a reranker exp(score − best score), the model's
        odds of each FAQ against the best; without, the fused score."""
        if not self.documents:
            return Ranked(hits=[], confidence=0.0)
        if self.reranker is None:
            words, signals = self.signal_scores(text)
            fused = self.fuse(signals)
            order = [i for i in _top_indices(fused, top) if fused[i] > 0]
            relative = [float(fused[i]) for i in order]
        else:
            words, candidates, features = self.candidate_features(text, max(top, self.reranker.candidates))
            scores = features @ np.asarray(self.reranker.weights)
            reordered = np.argsort(-scores, kind="stable")[:top]
            order = [candidates[j] for j in reordered]
            relative = [float(math.exp(scores[j] - scores[reordered[0]])) for j in reordered]
        hits = [Hit(self.ids[i], score) for i, score in zip(order, relative, strict=True)]
        confidence = self.confidence(text[:MAX_QUERY_CHARS], order, relative)
        return Ranked(hits=hits, confidence=confidence, query_words=words)

    def confidence(self, text: str, order: Sequence[int], scores: Sequence[float]) -> float:
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
        for token in dict.fromkeys(tok.words(remaining, remember=False)):
            weight = self._idf.get(token, self._unknown_idf)
            share = 1.0 if token in question_side else 0.5 if token in answer_side else 0.0
            units.append((weight, share))
        total = sum(weight for weight, _share in units)
        if not total:
            return 0.0
        coverage = sum(weight * share for weight, share in units) / total
        if len(order) > 1 and scores[0] > 0:
            margin = (scores[0] - scores[1]) / scores[0]
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
