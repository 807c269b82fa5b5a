import unicodedata

from assistant.text import fold, lexical_terms, nfc, sentence_spans, words


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
    t = "Ông A đến TP. Hồ Chí Minh ngày 21/10. Ông nói: \"Việt Nam tăng 200%.\" Kim ngạch đạt 30,7 tỷ USD."
    spans = sentence_spans(t)
    got = [t[s:e] for s, e in spans]
    assert got == ["Ông A đến TP. Hồ Chí Minh ngày 21/10.", "Ông nói: \"Việt Nam tăng 200%.\"", "Kim ngạch đạt 30,7 tỷ USD."]


def test_sentence_spans_split_lines_and_trim():
    t = "  first line\nsecond line.  "
    assert [t[s:e] for s, e in sentence_spans(t)] == ["first line", "second line."]
