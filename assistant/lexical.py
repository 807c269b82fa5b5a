"""BM25 over per-language terms (text.lexical_terms: Vietnamese syllables, Swedish/English stems), kept
as a term-count matrix that is updated incrementally (rows added / dropped per document) and persisted
as one .npz snapshot that records the analysis it was made with (text.analysis_id)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import sparse

from .text import analysis_id, is_language_term, lexical_terms

K1, B = 1.2, 0.75


class LexicalIndex:
    """Rows are chunks (by id), columns are terms; values are term counts."""

    def __init__(self, ids: list[str] | None = None, vocab: dict[str, int] | None = None,
                 tf: sparse.csr_matrix | sparse.csc_matrix | None = None,
                 analysis: str | None = None, own_terms: list[int] | None = None):
        self.ids: list[str] = ids or []
        self.analysis = analysis_id() if analysis is None else analysis  # the analysis its rows were made with
        self.own_terms: list[int] = own_terms or []  # columns of one language's own terms (sv:…, en:…, sv#…)
        self.vocab: dict[str, int] = vocab or {}
        self._tf: sparse.csr_matrix | sparse.csc_matrix  # csr for writes, csc once scored (_by_rows, _stats)
        self._tf = tf if tf is not None else sparse.csr_matrix(np.zeros((0, 0), dtype=np.float32))
        self._pending: list[sparse.csr_matrix] = []  # blocks added since the matrix was last stacked
        self._weights: tuple[sparse.csc_matrix, np.ndarray, np.ndarray] | None = None
        self._row: dict[str, int] | None = None

    @property
    def tf(self) -> sparse.csr_matrix | sparse.csc_matrix:
        """The term-count matrix. Added blocks are stacked here, once, when the matrix is next needed:
        stacking on every add copied the whole matrix once per document (quadratic over an ingest)."""
        if self._pending:
            blocks = [self._tf, *self._pending]
            for block in blocks:
                block.resize((block.shape[0], len(self.vocab)))  # type: ignore[arg-type]  # stubs forbid resize (Never)
            self._tf = sparse.vstack(blocks, format="csr")
            self._pending = []
        return self._tf

    @tf.setter
    def tf(self, value: sparse.csr_matrix | sparse.csc_matrix) -> None:
        self._tf, self._pending = value, []

    # building ----------------------------------------------------------------------------
    def _by_rows(self) -> None:
        """Writes work on rows: a snapshot loaded by columns (for scoring) is turned around once, before
        the first write. Stacking or slicing rows of the column form went through scipy's COO path and
        held several copies of the matrix at once (peak RSS of a one-file resync at 100k chunks)."""
        if not isinstance(self._tf, sparse.csr_matrix):
            self._tf = self._tf.tocsr()
            self._weights = None

    def add(self, ids: list[str], texts: list[str], langs: list[str] | None = None) -> None:
        """Append chunks (ids must be new), each analysed in its document's language (`langs`, default "")."""
        self._by_rows()
        rows, cols, vals = [], [], []
        for r, text in enumerate(texts):
            for term, n in Counter(lexical_terms(text, langs[r] if langs else "")).items():
                col = self.vocab.get(term)
                if col is None:
                    col = self.vocab[term] = len(self.vocab)
                    if is_language_term(term):
                        self.own_terms.append(col)
                rows.append(r)
                cols.append(col)
                vals.append(n)
        self._pending.append(sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), len(self.vocab)), dtype=np.float32))
        self.ids.extend(ids)
        self._invalidate()

    def remove(self, ids: set[str]) -> None:
        """Drop chunks by id (unknown ids are ignored)."""
        if not ids:
            return  # every ingested document calls this, mostly with nothing to drop: skip the O(n) scan
        keep = [i for i, cid in enumerate(self.ids) if cid not in ids]
        if len(keep) == len(self.ids):
            return
        self._by_rows()
        self.tf = self.tf[keep]
        self.ids = [self.ids[i] for i in keep]
        self._invalidate()

    def rename(self, mapping: dict[str, str]) -> None:
        self.ids = [mapping.get(i, i) for i in self.ids]
        self._invalidate()

    def _invalidate(self) -> None:
        self._weights = None
        self._row = None

    # scoring -----------------------------------------------------------------------------
    def row_of(self) -> dict[str, int]:
        if self._row is None:
            self._row = {cid: i for i, cid in enumerate(self.ids)}
        return self._row

    def _stats(self) -> tuple[sparse.csc_matrix, np.ndarray, np.ndarray]:
        """Term counts by term columns, idf per term, BM25 length norm per chunk. Weights are computed
        per question for its few columns only: a full weight matrix took ~1 s and as much memory as the
        counts at 100k chunks (27M entries), paid by the first question after each load."""
        if self._weights is None:
            tf = self.tf.tocsc()
            self._tf = tf  # readers keep the column order (saved that way too); writers restack rows as needed
            n = max(tf.shape[0], 1)
            # length over the terms every language has: a Swedish chunk's stems and 4-grams neither make it
            # "longer" than a Vietnamese one nor change any score of a question without such terms
            shared = np.ones(tf.shape[1], dtype=np.float32)
            shared[np.asarray(self.own_terms, dtype=np.int64)] = 0
            dl = np.asarray(tf @ shared, dtype=np.float32).ravel()
            avgdl = max(float(dl.mean()) if dl.size else 1.0, 1.0)
            df = np.diff(tf.indptr)  # chunks holding each term (no stored zeros)
            idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
            norm = (K1 * (1 - B + B * dl / avgdl)).astype(np.float32)
            self._weights = (tf, idf, norm)
        return self._weights

    def scores(self, query: str, lang: str = "") -> np.ndarray:
        """BM25 score of every chunk for `query`, analysed in `lang` (zeros when no term matches)."""
        out = np.zeros(len(self.ids), dtype=np.float32)
        cols = [self.vocab[t] for t in set(lexical_terms(query, lang)) if t in self.vocab]
        if not cols or not self.ids:
            return out
        tf, idf, norm = self._stats()
        for c in cols:
            lo, hi = tf.indptr[c], tf.indptr[c + 1]
            rows, counts = tf.indices[lo:hi], tf.data[lo:hi]
            out[rows] += idf[c] * counts * np.float32(K1 + 1) / (counts + norm[rows])  # rows are unique per column
        return out

    # persistence -------------------------------------------------------------------------
    def save(self, path: Path, generation: str) -> None:
        """Write atomically: a crash leaves the old snapshot, detected by its generation."""
        tmp = path.with_suffix(".tmp.npz")
        tf = self.tf.tocsc()  # what readers score from: loading it needs no conversion
        terms = _strings(sorted(self.vocab, key=self.vocab.__getitem__))
        with open(tmp, "wb") as f:
            np.savez(f, data=tf.data, indices=tf.indices, indptr=tf.indptr, shape=np.array(tf.shape), layout=np.array("csc"),
                     ids=_strings(self.ids), terms=terms, generation=np.array(generation), analysis=np.array(self.analysis),
                     own_terms=np.array(self.own_terms, dtype=np.int64))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> tuple["LexicalIndex", str]:
        """The snapshot and its generation; `analysis` is "" for a snapshot older than the field (callers
        compare it with text.analysis_id() and rebuild when it differs)."""
        with np.load(path, allow_pickle=False) as z:
            layout = sparse.csc_matrix if "layout" in z.files and str(z["layout"]) == "csc" else sparse.csr_matrix
            tf = layout((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
            terms = z["terms"].tolist()
            analysis = str(z["analysis"]) if "analysis" in z.files else ""
            own = z["own_terms"].tolist() if "own_terms" in z.files else []
            return cls(z["ids"].tolist(), {t: i for i, t in enumerate(terms)}, tf, analysis, own), str(z["generation"])


def _strings(items: list[str]) -> np.ndarray:
    """A unicode array (no pickling needed to load it back)."""
    return np.array(items, dtype=str) if items else np.array([], dtype="<U1")
