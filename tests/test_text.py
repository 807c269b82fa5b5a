import unicodedata

import pytest

from assistant.text import fold, lexical_terms, nfc, sentence_spans, words
from tests.support import SEEDS


def test_nfd_and_nfc_give_the_same_tokens():
    s = "Đại sứ Liên minh châu Âu tại Việt Nam"
    nfd = unicodedata.normalize("NFD", s)
    assert nfd != s
    assert words(nfd) == words(s)
    assert lexical_terms(nfd) == lexical_terms(s)
    assert nfc(nfd) == s


def test_one_letter_syllables_are_kept():
    assert "ở" in words("Doanh nghiệp ở Hà Nội")
    assert "ý" in words("ý chí tự chủ")


def test_vietnamese_syllables_that_are_english_stopwords_are_kept():
    assert words("an ninh mạng") == ["an", "ninh", "mạng"]


def test_folding_matches_names_without_diacritics():
    assert fold("Bùi Thế Duy") == fold("Bui The Duy") == "bui the duy"
    assert fold("Đà Nẵng") == "da nang"
    terms_doc = set(lexical_terms("Thứ trưởng Bùi Thế Duy"))
    terms_q = set(lexical_terms("Bui The Duy"))
    assert {"~bui", "~the", "~duy"} <= terms_doc & terms_q


def test_no_stemming():
    assert "cooperation" in words("Cooperation agreements")
    assert "agreements" in words("Cooperation agreements")


def test_sentence_spans_cover_sentences_and_keep_abbreviations():
    t = 'Ông A đến TP. Hồ Chí Minh ngày 21/10. Ông nói: "Việt Nam tăng 200%." Kim ngạch đạt 30,7 tỷ USD.'
    spans = sentence_spans(t)
    got = [t[s:e] for s, e in spans]
    assert got == [
        "Ông A đến TP. Hồ Chí Minh ngày 21/10.",
        'Ông nói: "Việt Nam tăng 200%."',
        "Kim ngạch đạt 30,7 tỷ USD.",
    ]


def test_sentence_spans_split_lines_and_trim():
    t = "  first line\nsecond line.  "
    assert [t[s:e] for s, e in sentence_spans(t)] == ["first line", "second line."]


# --- lexical analysis per language -----------------------------------------------------------------

VI_PINNED = [
    "thứ",
    "trưởng",
    "bùi",
    "thế",
    "duy",
    "ở",
    "hà",
    "nội",
    "ngày",
    "21",
    "10",
    "~thu",
    "~truong",
    "~bui",
    "~the",
    "~duy",
    "~o",
    "~ha",
    "~noi",
    "~ngay",
    "~21",
    "~10",
    "thứ_trưởng",
    "trưởng_bùi",
    "bùi_thế",
    "thế_duy",
    "duy_ở",
    "ở_hà",
    "hà_nội",
    "nội_ngày",
    "ngày_21",
    "21_10",
]


def test_vietnamese_terms_are_exactly_those_of_the_vietnamese_only_analysis():
    """Pinned from the analysis before languages were told apart: Vietnamese (and unknown) text is untouched."""
    text = "Thứ trưởng Bùi Thế Duy ở Hà Nội, ngày 21/10"
    assert lexical_terms(text) == lexical_terms(text, "vi") == lexical_terms(text, "") == VI_PINNED
    assert lexical_terms("Đại sứ EU", "vi") == ["đại", "sứ", "eu", "~dai", "~su", "~eu", "đại_sứ", "sứ_eu"]


@pytest.mark.parametrize(
    ("name", "n", "digest"),
    [
        ("000_b0dddf86d6f85ffe.txt", 4778, "4226e924167089be"),
        ("001_42eb7389f324bfd9.txt", 2921, "86501e4f839b6c9a"),
        ("003_a6de01ab2ae2bfda.txt", 9116, "6fefcfc050345874"),
    ],
)
def test_vietnamese_seed_documents_give_the_same_terms_as_before(name, n, digest):
    import hashlib

    terms = lexical_terms((SEEDS / name).read_text(encoding="utf-8"), "vi")
    assert (len(terms), hashlib.sha256("\n".join(terms).encode()).hexdigest()[:16]) == (n, digest)


def test_swedish_inflections_share_a_stem():
    forms = ["myndigheten", "myndigheter", "myndigheterna", "myndighet"]
    stems = [{t for t in lexical_terms(f, "sv") if t.startswith("sv:")} for f in forms]
    assert all(s == stems[0] and len(s) == 1 for s in stems), stems
    assert {t for t in lexical_terms("beslutet", "sv") if t.startswith("sv:")} == {
        t for t in lexical_terms("beslut", "sv") if t.startswith("sv:")
    }


def test_english_plurals_share_a_stem():
    def stems(text):
        return {t for t in lexical_terms(text, "en") if t.startswith("en:")}

    assert stems("agreements") == stems("agreement") == {"en:agreement"}
    assert stems("ambassadors") == stems("ambassador")
    assert stems("policies") == stems("policy")


def test_swedish_compounds_share_ngrams_with_their_parts():
    compound = {t for t in lexical_terms("arbetsmiljöverket", "sv") if t.startswith("sv#")}
    part = {t for t in lexical_terms("arbetsmiljön", "sv") if t.startswith("sv#")}
    assert {"sv#arbe", "sv#milj"} <= compound and len(compound & part) >= 6
    assert not [t for t in lexical_terms("att ta med", "sv") if t.startswith("sv#")]  # short words get none


def test_each_language_keeps_the_plain_tokens_and_prefixes_only_its_own_terms():
    for lang, other in (("sv", "en:"), ("en", "sv")):
        terms = lexical_terms("Julien Guerrier 2025 agreements", lang)
        assert {"julien", "guerrier", "2025", "~julien", "julien_guerrier"} <= set(
            terms
        )  # names and numbers match across languages
        assert not [t for t in terms if t.startswith(other)]
    assert not [t for t in lexical_terms("Bùi Thế Duy ký hiệp định", "vi") if ":" in t or "#" in t]
    assert "sv:2025" not in lexical_terms("år 2025", "sv")  # numbers are not stemmed (the plain token matches them)


def test_the_analysis_id_follows_the_analysis(monkeypatch):
    import assistant.text as text

    before = text.analysis_id()
    assert before == text.analysis_id() and "snowball" in before
    text.analysis_id.cache_clear()
    monkeypatch.setattr(text, "NGRAM", 5)
    try:
        assert text.analysis_id() != before  # a changed analysis changes the id even without a version bump
    finally:
        text.analysis_id.cache_clear()
