"""Issue 6 benchmark: the FAQ chatbot's ranking on LocalGovFAQ (Sakata et al., SIGIR 2019).

Reads ../shared/data/localgovfaq/ (corpus.json, dev_queries.json, dev_qrels.json) when it exists and skips
with a message when it does not: the data has no licence, so it is never copied into the repository. Reports
on the development split (the only split tuned on): SR@1, SR@5, MRR and nDCG@10 for each signal alone and
fused (the first stage), then the shipped reranker over the first stage's candidates: in-sample (its weights
were fitted on this split) and, the honest figure, 5-fold cross-validated (3 shuffles of the folds), with each
feature left out in turn; next to the paper's results, read from the data folder's README at run time (nothing
of the data folder is written into this script); then index build time and per-question latency
(p50/p99) for a 2,000-FAQ index (the corpus padded with copies). Writes bench/results/faq.json and its section
of bench/README.md.

    .venv/bin/python bench/faq_localgovfaq.py [--data DIR]
    .venv/bin/python bench/faq_localgovfaq.py --fit   # fit the reranker on the whole split, print its weights
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from readme import replace_section  # noqa: E402
from run import machine  # noqa: E402

from madoguchi.faq import retrieval  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "localgovfaq"
# A row of the README's results table: "| method | .123 | .456 | .789 |" (SR@1, SR@5, MRR).
PAPER_ROW = re.compile(r"^\|\s*([^|]+?)\s*\|\s*(\.\d+)\s*\|\s*(\.\d+)\s*\|\s*(\.\d+)\s*\|\s*$")


def paper_results(data: Path) -> list[tuple[str, float, float, float]]:
    """The paper's (method, SR@1, SR@5, MRR) as the data folder's README reports them; none without it."""
    readme = data / "README.md"
    if not readme.exists():
        return []
    rows = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        match = PAPER_ROW.match(line.strip())
        if match:
            label, sr1, sr5, mrr = match.groups()
            rows.append((label.replace("*", ""), float(sr1), float(sr5), float(mrr)))
    return rows


W = retrieval.Weights
D = retrieval.DEFAULT_WEIGHTS
ALONE = {"word_all": 0.0, "word_question": 0.0, "gram_all": 0.0, "gram_question": 0.0}
# Reranker training: the softmax over each question's candidates against its judgments (grade 2 counts
# twice grade 1), L2 on standardised features, plain gradient descent with Adam from zero (deterministic).
GRADE_TARGET = {2: 1.0, 1: 0.5}
L2 = 0.1
STEPS = 1500
LEARNING_RATE = 0.05
FOLDS = 5
SHUFFLES = 3
LABELS = {
    "word_all": "word BM25 over the whole FAQ",
    "word_question": "word cosine with the FAQ's question side",
    "gram_all": "in-word character-gram BM25 over the whole FAQ",
    "gram_question": "in-word character-gram cosine with the question side",
}
VARIANTS = (
    [(f"first stage: {LABELS[name]} alone", dataclasses.replace(D, **{**ALONE, name: 1.0})) for name in ALONE]
    + [(f"first stage without {LABELS[name]}", dataclasses.replace(D, **{name: 0.0})) for name in ALONE]
    + [("first stage: all four fused (the default before the reranker)", D)]
)
FEATURE_LABELS = {
    "word_all": "word BM25",
    "word_question": "word cosine with the question side",
    "gram_all": "gram BM25",
    "gram_question": "gram cosine with the question side",
    "first_stage_rank": "first-stage rank",
    "question_coverage": "question-side coverage of the question's words",
    "coverage": "whole-FAQ coverage of the question's words",
    "question_length": "FAQ question length",
    "lsa": "LSA cosine",
    "answer_sentence": "closest answer sentence cosine",
}
# The ranking before this one (words and raw character bigrams, question side by BM25), measured by this
# script on the same split at commit a691b41; kept as a fixed reference since that code is gone.
PREVIOUS = ("previous default (a691b41): words + raw character bigrams, BM25 only", 0.456, 0.700, 0.560, 0.499)


def evaluate(rankings: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """SR@k: a judged FAQ (any grade) within the first k. MRR over the first 10. nDCG@10 with the paper's gains
    (grade 2 = A → 3, grade 1 = B → 2)."""
    sr1 = sr5 = rr = ndcg = 0.0
    for qid, relevant in qrels.items():
        ranked = rankings.get(qid, [])[:10]
        positions = [i for i, faq_id in enumerate(ranked) if faq_id in relevant]
        if positions:
            sr1 += positions[0] < 1
            sr5 += positions[0] < 5
            rr += 1 / (positions[0] + 1)
        gain = {faq_id: {2: 3, 1: 2}.get(grade, 1) for faq_id, grade in relevant.items()}
        dcg = sum(gain[f] / math.log2(i + 2) for i, f in enumerate(ranked) if f in gain)
        ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(gain.values(), reverse=True)[:10]))
        ndcg += dcg / ideal if ideal else 0.0
    n = len(qrels)
    return {"sr1": sr1 / n, "sr5": sr5 / n, "mrr": rr / n, "ndcg10": ndcg / n}


class Candidates:
    """Every question's first-stage candidates and their reranker features, computed once."""

    def __init__(self, index: retrieval.Index, queries: dict[str, str], qrels: dict[str, dict[str, int]]) -> None:
        import numpy as np

        self.qids = list(qrels)
        ids, rows, groups, targets = [], [], [], []
        for n, qid in enumerate(self.qids):
            _words, order, features = index.candidate_features(queries[qid], index.reranker.candidates)
            ids.append([index.ids[i] for i in order])
            rows.append(features)
            groups.append(np.full(len(order), n))
            targets.append([GRADE_TARGET.get(qrels[qid].get(index.ids[i], 0), 0.0) for i in order])
        self.ids = ids
        self.features = np.vstack(rows)
        self.group = np.concatenate(groups).astype(np.int64)
        self.target = np.concatenate(targets)

    def rankings(self, weights, questions) -> dict[str, list[str]]:
        import numpy as np

        scores = self.features @ np.asarray(weights)
        out = {}
        for n in questions:
            mine = scores[self.group == n]
            out[self.qids[n]] = [self.ids[n][j] for j in np.argsort(-mine, kind="stable")[:10]]
        return out

    def fit(self, questions, columns):
        """Weights (zero for the columns left out) fitted on the given questions."""
        import numpy as np

        rows = np.isin(self.group, list(questions))
        x, group, target = self.features[rows][:, columns], self.group[rows], self.target[rows]
        judged = np.bincount(group, weights=target, minlength=len(self.qids))
        keep = judged[group] > 0  # a question without a judged candidate teaches nothing
        x, group, target = x[keep], group[keep], target[keep] / judged[group][keep]
        mean, spread = x.mean(0), x.std(0)
        spread[spread == 0] = 1.0
        z = (x - mean) / spread
        count = len(np.unique(group))
        w, m, v = np.zeros(len(columns)), np.zeros(len(columns)), np.zeros(len(columns))
        for step in range(1, STEPS + 1):
            s = z @ w
            top = np.full(len(self.qids), -np.inf)
            np.maximum.at(top, group, s)
            e = np.exp(s - top[group])
            p = e / np.bincount(group, weights=e, minlength=len(self.qids))[group]
            gradient = z.T @ (p - target) / count + L2 * w
            m = 0.9 * m + 0.1 * gradient
            v = 0.999 * v + 0.001 * gradient**2
            w -= LEARNING_RATE * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
        full = np.zeros(self.features.shape[1])
        full[columns] = w / spread
        return full

    def cross_validated(self, columns, qrels) -> dict[str, float]:
        """Mean over shuffles of the metrics when each fold is ranked by weights fitted on the other folds."""
        import numpy as np

        runs = []
        for shuffle in range(SHUFFLES):
            fold = np.random.default_rng(shuffle).permutation(len(self.qids)) % FOLDS
            rankings: dict[str, list[str]] = {}
            for f in range(FOLDS):
                weights = self.fit(np.flatnonzero(fold != f), columns)
                rankings.update(self.rankings(weights, np.flatnonzero(fold == f)))
            runs.append(evaluate(rankings, qrels))
        return {k: sum(r[k] for r in runs) / len(runs) for k in runs[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--fit", action="store_true", help="print reranker weights fitted on the whole split")
    args = parser.parse_args()
    if not (args.data / "corpus.json").exists():
        print(f"faq_localgovfaq: skipped, LocalGovFAQ not found at {args.data} (it is never committed: no licence).")
        return 0
    corpus = json.loads((args.data / "corpus.json").read_text(encoding="utf-8"))
    queries = json.loads((args.data / "dev_queries.json").read_text(encoding="utf-8"))
    qrels = json.loads((args.data / "dev_qrels.json").read_text(encoding="utf-8"))
    documents = [retrieval.split_question_answer(k, v) for k, v in corpus.items()]
    paper = paper_results(args.data)

    load_before = f"{os.getloadavg()[0]:.2f}"
    started = time.perf_counter()
    tokenized = [retrieval.tokenize_document(d) for d in documents]
    tokenize_seconds = time.perf_counter() - started

    index = retrieval.Index(tokenized)
    candidates = Candidates(index, queries, qrels)
    every = list(range(len(retrieval.FEATURES)))
    if args.fit:
        weights = candidates.fit(range(len(candidates.qids)), every)
        print("weights=(" + ", ".join(f"{w:.4f}" for w in weights) + "),")
        print(f"in-sample: {evaluate(candidates.rankings(weights, range(len(candidates.qids))), qrels)}")
        return 0

    variants = []

    def report(label: str, metrics: dict[str, float], **extra) -> None:
        variants.append({"label": label, **{k: round(v, 3) for k, v in metrics.items()}, **extra})
        print(f"{label:75} " + " ".join(f"{k}={v:.3f}" for k, v in metrics.items()))

    for label, weights in VARIANTS:
        first_stage = retrieval.Index(tokenized, weights=weights, reranker=None)
        rankings = {qid: [h.id for h in first_stage.rank(text, top=10).hits] for qid, text in queries.items()}
        report(label, evaluate(rankings, qrels))
    recall = sum(any(f in qrels[q] for f in candidates.ids[n]) for n, q in enumerate(candidates.qids))
    candidate_recall = round(recall / len(candidates.qids), 3)
    for name, column in zip(retrieval.FEATURES, every, strict=True):
        kept = [c for c in every if c != column]
        report(f"reranker without {FEATURE_LABELS[name]} (cross-validated)", candidates.cross_validated(kept, qrels))
    cross_validated = candidates.cross_validated(every, qrels)
    report("reranker, all features (cross-validated: the honest figure)", cross_validated, cross_validated=True)
    rankings = {qid: [h.id for h in index.rank(text, top=10).hits] for qid, text in queries.items()}
    report("reranker as shipped (in-sample: fitted on this split)", evaluate(rankings, qrels))

    # Scale: 2,000 FAQs with 2,000 distinct texts (the corpus plus marked copies, so no analysis is shared),
    # built from text by a process that has analysed none of them: the cold build of a web process.
    padded = documents + [
        retrieval.Document(f"copy-{d.id}", f"{d.question}（写し）", f"{d.answer}（写し）")
        for d in documents[: 2000 - len(documents)]
    ]
    retrieval.tokenizer().clear_cache()
    started = time.perf_counter()
    big = retrieval.Index.build(padded)
    build_seconds = time.perf_counter() - started
    # One FAQ edited: the rebuild analyses that FAQ only (the others come from the analysis cache).
    edited = [retrieval.Document(padded[0].id, padded[0].question + "（改）", padded[0].answer), *padded[1:]]
    started = time.perf_counter()
    retrieval.Index.build(edited)
    rebuild_one_changed_seconds = time.perf_counter() - started
    started = time.perf_counter()
    retrieval.Index(big.documents)
    build_from_stored_seconds = time.perf_counter() - started
    texts = list(queries.values())
    for text in texts[:20]:
        big.rank(text)
    timings = []
    for _round in range(4):
        for text in texts:
            t0 = time.perf_counter()
            big.rank(text, top=6)
            timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    latency = {
        "faqs": len(padded),
        "questions": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 2),
        "build_seconds": round(build_seconds, 2),
        "rebuild_one_faq_changed_seconds": round(rebuild_one_changed_seconds, 2),
        "build_from_stored_tokens_seconds": round(build_from_stored_seconds, 2),
        "tokenize_corpus_seconds": round(tokenize_seconds, 2),
        "corpus_faqs": len(documents),
    }
    print(f"latency: {latency}")
    result = {
        "benchmark": "faq_localgovfaq",
        "split": f"development ({len(queries)} queries; the only split tuned on)",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "weights": dataclasses.asdict(D),
        "reranker": dict(zip(retrieval.FEATURES, index.reranker.weights, strict=True)),
        "candidates": index.reranker.candidates,
        "candidate_recall": candidate_recall,
        "variants": variants,
        "paper_test_set": [dict(zip(["label", "sr1", "sr5", "mrr"], row, strict=True)) for row in paper],
        "latency": latency,
    }
    out = ROOT / "bench" / "results" / "faq.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    info = result["machine"]
    lines = [
        "",
        f"Latest run: {result['when']} on {info['cpu']} ({info['cores']} cores), CPU only, no network. "
        f"LocalGovFAQ development split ({len(queries)} queries; tuned on this split only), "
        "any judged FAQ counts as relevant. The paper's figures (from the data folder's README) are on its own "
        "test set, with judgments the public copy does not fully carry, so they are a reference, not a "
        "like-for-like comparison.",
        "",
        "| system | SR@1 | SR@5 | MRR | nDCG@10 |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in variants:
        lines.append(
            f"| Madoguchi: {row['label']} | {row['sr1']:.3f} | {row['sr5']:.3f} | {row['mrr']:.3f} | {row['ndcg10']:.3f} |"
        )
    label, sr1, sr5, mrr, ndcg = PREVIOUS
    lines.append(f"| Madoguchi: {label} | {sr1:.3f} | {sr5:.3f} | {mrr:.3f} | {ndcg:.3f} |")
    for label, sr1, sr5, mrr in paper:
        lines.append(f"| paper: {label} | {sr1:.3f} | {sr5:.3f} | {mrr:.3f} | — |")
    lines += [
        "",
        f"The first stage fuses four lexical signals; the reranker reorders its best {result['candidates']} "
        f"candidates (a judged FAQ is among them for {candidate_recall:.1%} of the questions: the ceiling of any "
        "reranking) with a linear model over ten features, fitted on this split. Its in-sample row flatters it; "
        "the cross-validated row (5 folds, 3 shuffles, each fold ranked by weights fitted on the other four) is "
        "the figure to quote, and each 'without' row is cross-validated the same way, so it compares with that "
        "row. Tried on this split and not kept, as they added less than the noise of a query or two: Japanese "
        "word vectors (chiVe, as shipped in ja-ginza; it would also pull in spaCy and an older SudachiPy), RM3 "
        "pseudo-relevance feedback, boosting the question side inside BM25, Dirichlet query likelihood, "
        "question-side BM25, character-bigram Dice and the longest common substring with the FAQ question.",
        "",
        f"Latency for a {latency['faqs']:,}-FAQ index, {latency['questions']} questions (Sudachi analysis, two BM25 "
        f"and three cosine scorings, LSA fold-in, fusion, reranking, confidence): p50 {latency['p50_ms']} ms, p99 {latency['p99_ms']} ms "
        f"(target < 20 ms). Index build from text, cold (no text analysed before; 2,000 distinct texts) "
        f"{latency['build_seconds']} s (target < 10 s); rebuild after one FAQ changed "
        f"{latency['rebuild_one_faq_changed_seconds']} s; from the tokens the rebuild task stores "
        f"{latency['build_from_stored_tokens_seconds']} s. Analysing the {latency['corpus_faqs']:,}-FAQ corpus alone: "
        f"{latency['tokenize_corpus_seconds']} s. Load average {load_before} before, {os.getloadavg()[0]:.2f} "
        "after (the machine is shared with other work, so times are noisy).",
    ]
    replace_section("FAQ chatbot: LocalGovFAQ retrieval (issue 6)", lines)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
