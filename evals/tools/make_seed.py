"""Writes evals/seed.jsonl: hand-written questions over the five seed documents.

Each answerable question names its gold document, the gold paragraph (our numbering: every
non-empty paragraph counts, the title line included) and gold strings that occur verbatim in it.
Run from the project root: `.venv/bin/python evals/tools/make_seed.py` (checks every gold string).
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from assistant.loaders import load_document  # noqa: E402

D0, D1, D2, D3, D4 = (
    "000_b0dddf86d6f85ffe.txt", "001_42eb7389f324bfd9.txt", "002_ac641c82a5bb9970.txt",
    "003_a6de01ab2ae2bfda.txt", "004_03e94a76b2f901da.txt",
)  # fmt: skip

# (lang, question, answers, doc, paragraph, extra fields); doc may be a list (doc-level gold, no paragraph)
Q = [
    # 000: Vietnam-EU digital cooperation forum (vi), with teaser paragraphs of other articles at the end
    ("vi", "Việt Nam cam kết đạt Net Zero vào năm nào?", ["2050"], D0, 6, {"kind": "date"}),
    ("en", "By what year has Vietnam committed to reach Net Zero?", ["2050"], D0, 6, {"kind": "date"}),
    ("vi", "Chính phủ đã ban hành danh sách bao nhiêu công nghệ chiến lược quốc gia?", ["11 công nghệ chiến lược"], D0, 10, {"kind": "number"}),
    ("vi", "Ai là Phó Trưởng Ban Hợp tác EU bày tỏ sự hài lòng về dự thảo Luật AI của Việt Nam?", ["Serrano"], D0, 12, {"kind": "name"}),
    ("en", "How many principles and risk levels do Vietnam's draft AI law and the EU AI Act have in common?", ["bảy nguyên tắc và bốn cấp độ rủi ro"], D0, 12, {"kind": "number"}),
    ("vi", "Kim ngạch thương mại song phương Việt Nam - Algeria 9 tháng năm 2025 đạt bao nhiêu?", ["450 triệu USD"], D0, 25, {"kind": "number"}),
    ("en", "By what percentage did Vietnam-Algeria bilateral trade grow in the first nine months of 2025?", ["200%"], D0, 25, {"kind": "number"}),
    ("vi", "Kim ngạch xuất khẩu dệt may Việt Nam 8 tháng đầu năm 2025 đạt bao nhiêu?", ["30,7 tỷ USD"], D0, 40, {"kind": "number"}),
    ("sv", "Hur mycket väntas Vietnams textilexport uppgå till för hela året 2025?", ["48 tỷ USD"], D0, 40, {"kind": "number"}),
    ("vi", "The Hanshin Diesel Works tổ chức hội thảo tại Hải Phòng vào ngày nào?", ["9/10/2025"], D0, 31, {"kind": "date"}),
    ("en", "Which Japanese marine diesel engine maker returned to Vietnam with seminars in Ho Chi Minh City and Hai Phong?", ["Hanshin Diesel Works"], D0, 31, {"kind": "name"}),
    ("vi", "Ai đề xuất Kế hoạch hành động EU-Việt Nam về KH&CN?", ["Nguyễn Mạnh Hùng"], D0, 16, {"kind": "name"}),
    ("en", "Which EU programme is described as the world's largest R&D programme?", ["Horizon Europe"], D0, 19, {"kind": "name"}),
    ("vi", "Bộ KH&CN dẫn đầu soạn thảo những đạo luật nào?", ["Luật Trí tuệ Nhân tạo", "Luật Chuyển đổi số"], D0, 9, {}),
    ("vi", "Cảng nước sâu nào ở Hải Phòng thu hút các tuyến tàu container cỡ lớn đi Mỹ và Nội Á?", ["Lạch Huyện"], D0, 43, {"kind": "name"}),
    ("sv", "Vilket land står enligt artikeln för en AI-modell som prioriterar statlig kontroll?", ["Trung Quốc"], D0, 11, {"kind": "name"}),
    # 001: "Expanding digital investment" forum in Ho Chi Minh City (vi)
    ("vi", "Diễn đàn quốc tế \"Mở rộng đầu tư số\" tại TP HCM diễn ra ngày nào?", ["21/10"], D1, 1, {"kind": "date"}),
    ("en", "Which organisations co-organised the \"Expanding Digital Investment\" forum in Ho Chi Minh City?", ["AVSE Global", "EuroCham Vietnam"], D1, 2, {"kind": "name"}),
    ("vi", "Chương trình giáo dục nghề nghiệp - kỹ năng xanh của EU trị giá bao nhiêu?", ["50 triệu euro"], D1, 8, {"kind": "number"}),
    ("en", "Which EU satellite system was activated to help Vietnam respond to natural disasters?", ["Copernicus"], D1, 8, {"kind": "name"}),
    ("vi", "Trưởng phòng Hợp tác của Phái đoàn EU tại Việt Nam là ai?", ["Kristina Buende"], D1, 5, {"kind": "name", "note": "answer only in a photo caption"}),
    ("vi", "Theo Thứ trưởng Bùi Thế Duy, ba nền tảng trụ cột của chuyển đổi số là gì?", ["Dữ liệu, công nghệ và con người"], D1, 3, {}),
    ("en", "Which anniversary of EU-Vietnam diplomatic relations was the Ho Chi Minh City forum part of?", ["30 năm"], D1, 2, {"kind": "number"}),
    ("sv", "Vilka stora teknikföretag deltog i dialogen vid evenemanget i Ho Chi Minh-staden?", ["Viettel", "Ericsson", "Nokia Bell Labs"], D1, 9, {"kind": "name"}),
    ("en", "What does the EU's Global Gateway initiative aim to build?", ["kết nối số thông minh, an toàn và bền vững"], D1, 7, {}),
    # 002: EU-Vietnam digital forum and research & innovation day in Ninh Binh (vi)
    ("vi", "Diễn đàn Hợp tác Số EU - Việt Nam được tổ chức tại Ninh Bình vào ngày nào?", ["27/10"], D2, 2, {"kind": "date"}),
    ("en", "On what date is the EU-Vietnam Research and Innovation Day held?", ["28/10", "28 oktober"], [D2, D4], None, {"kind": "date"}),
    ("vi", "Bao nhiêu đại biểu tham gia Ngày Nghiên cứu và Đổi mới sáng tạo EU - Việt Nam?", ["hơn 200 đại biểu"], D2, 9, {"kind": "number"}),
    ("en", "For how many years have the EU and Vietnam cooperated in science and technology and other fields?", ["35 năm"], D2, 10, {"kind": "number"}),
    ("vi", "Việt Nam đặt mục tiêu trở thành top bao nhiêu quốc gia số vào năm 2030?", ["top 30"], D2, 11, {"kind": "number"}),
    ("sv", "När och var hölls Vietnam International Digital Week för första gången?", ["2022 tại Hà Nội"], D2, 14, {"kind": "date"}),
    ("en", "Where was Vietnam International Digital Week held in 2023 and 2024?", ["Quảng Ninh"], D2, 14, {"kind": "name"}),
    ("vi", "Tuần lễ Số Quốc tế Việt Nam năm 2025 tại Ninh Bình gồm bao nhiêu chuyên đề?", ["sáu chuyên đề"], D2, 15, {"kind": "number"}),
    ("en", "Which fund supports the EU-Vietnam Digital Cooperation Forum together with the Digital 4 Development Hub?", ["EUVCF", "Quỹ Hợp tác EU - Việt Nam"], D2, 3, {"kind": "name"}),
    # 003: Vietnam-Japan digital transformation day in Tokyo (vi), ending in a glued 6,600-char article about Brazil
    ("vi", "Phó Thủ tướng Nguyễn Chí Dũng dự Ngày chuyển đổi số Việt Nam 2025 tại thành phố nào?", ["Tokyo"], D3, 2, {"kind": "name"}),
    ("en", "How many Vietnamese IT engineers are working in Japan?", ["5.000 kỹ sư"], D3, 15, {"kind": "number"}),
    ("vi", "Có bao nhiêu doanh nghiệp Việt Nam đang hoạt động tại Nhật Bản?", ["70 doanh nghiệp"], D3, 15, {"kind": "number"}),
    ("en", "When did Japanese Prime Minister Ishiba visit Vietnam?", ["tháng 4/2025"], D3, 16, {"kind": "date"}),
    ("vi", "Dân số Việt Nam là bao nhiêu?", ["100 triệu"], D3, 18, {"kind": "number"}),
    ("sv", "Hur stor andel av Vietnams befolkning är i arbetsför ålder?", ["52%"], D3, 18, {"kind": "number"}),
    ("vi", "Bao nhiêu MOU được trao tại Ngày chuyển đổi số Việt Nam 2025 ở Nhật Bản?", ["5 MOU"], D3, 37, {"kind": "number"}),
    ("en", "Who is the CEO of CMC Technology Group?", ["Hồ Thanh Tùng"], D3, 34, {"kind": "name", "note": "answer only in a photo caption"}),
    ("vi", "Khuyến nghị thứ năm của Phó Thủ tướng về hợp tác Việt - Nhật liên quan đến lĩnh vực nào?", ["an ninh mạng"], D3, 32, {}),
    ("vi", "Việt Nam và Brazil nâng cấp quan hệ lên Đối tác Chiến lược vào thời gian nào?", ["tháng 11/2024"], D3, 41, {"kind": "date", "long_paragraph": True}),
    ("en", "How many businesses are in FIRJAN's network?", ["8.000 doanh nghiệp"], D3, 41, {"kind": "number", "long_paragraph": True}),
    ("vi", "Ai là Chủ tịch Liên đoàn Công nghiệp bang Rio de Janeiro (FIRJAN)?", ["Luiz Césio Caetano"], D3, 41, {"kind": "name", "long_paragraph": True}),
    ("en", "Alterosa MK is a joint venture between which two groups?", ["Tập đoàn Alterosa (Brazil) và Tập đoàn MK"], D3, 41, {"kind": "name", "long_paragraph": True}),
    ("sv", "Vem är kreativ chef för Alterosa MK?", ["Celso Nunes Cio"], D3, 41, {"kind": "name", "long_paragraph": True}),
    ("vi", "Việt Nam đang thúc đẩy đàm phán Hiệp định thương mại tự do với khối nào ở Nam Mỹ?", ["MERCOSUR"], D3, 41, {"kind": "name", "long_paragraph": True}),
    ("en", "Which summit did Prime Minister Pham Minh Chinh attend during his trip to Brazil?", ["BRICS"], D3, 41, {"kind": "name", "long_paragraph": True}),
    # 004: Swedish article on Vietnam-EU institutional cooperation in AI governance
    ("sv", "Vilken resolution från politbyrån genomför Vietnam?", ["57-NQ/TW"], D4, 8, {"kind": "name"}),
    ("sv", "Hur många strategiska teknologiprodukter har regeringen tillkännagivit?", ["35 strategiska teknologiprodukter"], D4, 11, {"kind": "number"}),
    ("vi", "Chính phủ Việt Nam đã công bố bao nhiêu sản phẩm công nghệ chiến lược?", ["35 strategiska teknologiprodukter"], D4, 11, {"kind": "number"}),
    ("sv", "För vilken gång i ordningen deltog EU i evenemanget enligt ambassadören?", ["andra gången"], D4, 19, {"kind": "number"}),
    ("en", "What kind of AI development model does the EU strive for, according to the ambassador?", ["transparent, demokratisk och ansvarsfull"], D4, 21, {}),
    ("sv", "Vilken FN-konvention var Vietnam värd för undertecknandet av?", ["FN:s konvention mot it-brottslighet"], D4, 21, {"kind": "name"}),
    ("en", "Whom did the EU ambassador thank for coordinating the events of Vietnam International Digital Week 2025?", ["vietnamesiska ministeriet för vetenskap och teknik"], D4, 18, {"kind": "name"}),
    # doc-level gold: the answer is stated in several documents
    ("en", "Who is the EU ambassador to Vietnam?", ["Julien Guerrier"], [D0, D1, D4], None, {"kind": "name"}),
    ("vi", "Đại sứ Liên minh châu Âu tại Việt Nam là ai?", ["Julien Guerrier"], [D0, D1, D4], None, {"kind": "name"}),
    ("sv", "Vem är Vietnams biträdande minister för vetenskap och teknik?", ["Bui The Duy", "Bùi Thế Duy"], [D4, D0, D1], None, {"kind": "name"}),
    # unanswerable: the corpus does not say (near-topic ones name a country or official not mentioned)
    ("en", "Who is the Korean ambassador to Vietnam?", [], None, None, {"near_topic": True}),
    ("vi", "Đại sứ Hàn Quốc tại Việt Nam là ai?", [], None, None, {"near_topic": True}),
    ("vi", "Kim ngạch thương mại Việt Nam - Ấn Độ năm 2025 đạt bao nhiêu?", [], None, None, {"near_topic": True}),
    ("en", "What is the population of Japan?", [], None, None, {"near_topic": True}),
    ("vi", "Giá vé tham dự Diễn đàn Hợp tác Số EU - Việt Nam là bao nhiêu?", [], None, None, {"near_topic": True}),
    ("en", "What did the Australian minister say at the forum in Ninh Binh?", [], None, None, {"near_topic": True}),
    ("vi", "Thủ tướng Phạm Minh Chính thăm Argentina vào ngày nào?", [], None, None, {"near_topic": True}),
    ("sv", "Vem är Tysklands förbundskansler?", [], None, None, {}),
    ("sv", "Vem vann fotbolls-VM 2022?", [], None, None, {}),
    ("en", "What is the recipe for Vietnamese pho?", [], None, None, {}),
    ("en", "How many electric vehicles did VinFast sell in Europe in 2024?", [], None, None, {"near_topic": True}),
]


def main() -> None:
    root = Path(__file__).resolve().parents[2]
    docs = {p.name: load_document(p, 50 * 2**20) for p in sorted((root / "corpus").glob("*.txt"))}
    out = []
    bad = 0
    for i, (lang, question, answers, doc, paragraph, extra) in enumerate(Q, 1):
        rec = {"id": f"seed-{i:03d}", "question": question, "answers": answers}
        if isinstance(doc, list):
            rec["doc"], rec["docs"] = doc[0], doc
            for a in answers:
                if not any(a in docs[d].text for d in doc):
                    print(f"{rec['id']}: {a!r} in none of {doc}")
                    bad += 1
        elif doc:
            rec["doc"], rec["paragraph"] = doc, paragraph
            text = docs[doc].paragraphs[paragraph - 1].text
            for a in answers:
                if a not in text:
                    print(f"{rec['id']}: {a!r} not in {doc} ¶{paragraph}: {text[:80]!r}")
                    bad += 1
        rec["lang"] = lang
        rec.update(extra)
        out.append(rec)
    path = root / "evals" / "seed.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    langs = {lg: sum(1 for r in out if r["lang"] == lg) for lg in ("vi", "en", "sv")}
    print(f"wrote {len(out)} questions to {path} ({sum(1 for r in out if not r['answers'])} unanswerable; {langs}); {bad} problems")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
