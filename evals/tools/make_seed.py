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
    # ---- issue 11: one field `class` per question (seed-072 on); the questions above stay as they were
    # caption: the answer is only in a photo caption ("Từ trái qua: …", "… Ảnh: …", "… - Ảnh: VGP/…")
    ("vi", "Lãnh đạo nào của UBND TP HCM xuất hiện trong ảnh các đại diện chính phủ tại sự kiện Mở rộng đầu tư số?", ["Nguyễn Lộc Hà"], D1, 5, {"class": "caption", "kind": "name"}),
    ("en", "What is Nguyen Loc Ha's position?", ["Phó Chủ tịch Ủy ban Nhân dân TP HCM"], D1, 5, {"class": "caption", "kind": "name"}),
    ("vi", "Thiết bị đo xuất xứ châu Âu trong bài về Ngày Nghiên cứu và Đổi mới sáng tạo được trưng bày ở triển lãm nào?", ["VIIE 2025"], D2, 6, {"class": "caption", "kind": "name"}),
    ("vi", "Ai chụp bức ảnh thiết bị đo của châu Âu tại triển lãm đổi mới sáng tạo?", ["Lưu Quý"], D2, 6, {"class": "caption", "kind": "name"}),
    ("en", "When was the VIIE 2025 innovation exhibition held?", ["tháng 10/2025"], D2, 6, {"class": "caption", "kind": "date"}),
    ("en", "Which association of Vietnamese in Japan exchanged a memorandum of understanding with Vietnam's National Innovation Center?", ["VADX Japan"], D3, 22, {"class": "caption", "kind": "name"}),
    ("sv", "Vem presenterade CMC:s tekniska lösningar för vice premiärministern på utställningen i Tokyo?", ["Hồ Thanh Tùng"], D3, 34, {"class": "caption", "kind": "name"}),
    # back_reference: the answer's paragraph does not name its subject; the previous paragraph or the heading does
    ("vi", "Tuần lễ Số Quốc tế Việt Nam được tổ chức lần đầu ở đâu?", ["Hà Nội"], D2, 14, {"class": "back_reference", "kind": "name"}),
    ("vi", "Những hiệp hội nào phối hợp tổ chức diễn đàn Mở rộng đầu tư số tại TP HCM?", ["Hiệp hội Dữ liệu Quốc gia (NDA)", "Vinasa"], D1, 2, {"class": "back_reference", "kind": "name"}),
    ("en", "According to Bui The Duy, what is Vietnam speeding up to support digital technology development?", ["hoàn thiện thể chế"], D1, 4, {"class": "back_reference"}),
    ("vi", "Khuyến nghị thứ hai của Phó Thủ tướng Nguyễn Chí Dũng về hợp tác với Nhật Bản là gì?", ["đẩy mạnh đào tạo nguồn nhân lực số"], D3, 27, {"class": "back_reference"}),
    ("sv", "Vilken klimatkonferens hänvisar vice premiärministerns fjärde rekommendation till?", ["COP26"], D3, 31, {"class": "back_reference", "kind": "name"}),
    ("sv", "Vilka evenemang vill EU fortsätta att arrangera tillsammans med ministeriet enligt Julien Guerrier?", ["EU-Vietnams forsknings- och innovationsdag", "Horisont Europa-programmen"], D4, 22, {"class": "back_reference", "kind": "name"}),
    ("vi", "Diễn đàn Hợp tác Số EU - Việt Nam ở Ninh Bình nhằm cụ thể hóa sáng kiến kinh doanh công nghệ nào của châu Âu?", ["European Tech Business Offer"], D2, 4, {"class": "back_reference", "kind": "name"}),
    ("en", "What does the EU-Vietnam Research and Innovation Day hope to widen access to?", ["nguồn tài trợ quốc tế"], D2, 8, {"class": "back_reference"}),
    # en_over_vi: English questions about Vietnamese documents
    ("en", "What kind of framework has Vietnam committed to set up so that new technologies can be tested under supervision?", ["sandbox"], D0, 13, {"class": "en_over_vi"}),
    ("en", "Which submarine cable company joined the dialogue at the Ho Chi Minh City investment forum?", ["Alcatel Submarine Networks (ASN)"], D1, 9, {"class": "en_over_vi", "kind": "name"}),
    ("en", "What was the Ho Chi Minh City event focused on, as opposed to the policy dialogue in Ninh Binh?", ["kết nối doanh nghiệp và đầu tư"], D1, 11, {"class": "en_over_vi"}),
    ("en", "How many people work in Vietnam's information and communications sector?", ["hơn 1 triệu lao động"], D3, 18, {"class": "en_over_vi", "kind": "number"}),
    ("en", "How long has the Vietnam-Japan relationship lasted, according to the Deputy Prime Minister?", ["hơn nửa thế kỷ"], D3, 13, {"class": "en_over_vi", "kind": "number"}),
    ("en", "Which European Commission directorate-general was represented at the Research and Innovation Day?", ["DG RTD"], D2, 9, {"class": "en_over_vi", "kind": "name"}),
    ("en", "Which organisation is the source of the textile export figures for the first eight months of 2025?", ["Hiệp hội Dệt May Việt Nam (VITAS)"], D0, 40, {"class": "en_over_vi", "kind": "name"}),
    # sv_over_vi: Swedish questions about Vietnamese documents
    ("sv", "Vilket frihandelsavtal har enligt artikeln format de ekonomiska relationerna mellan Vietnam och EU?", ["EVFTA"], D0, 15, {"class": "sv_over_vi", "kind": "name"}),
    ("sv", "Vilket projekt om etik inom artificiell intelligens nämner Guerrier bland EU:s samarbetsprogram?", ["AI Ethical Readiness"], D1, 8, {"class": "sv_over_vi", "kind": "name"}),
    ("sv", "Vilken japansk premiärminister besökte Vietnam i april 2025?", ["Ishiba"], D3, 16, {"class": "sv_over_vi", "kind": "name"}),
    ("sv", "Vilken dag deltog vice premiärminister Nguyen Chi Dung i den vietnamesiska digitala transformationsdagen i Tokyo?", ["30/5"], D3, 2, {"class": "sv_over_vi", "kind": "date"}),
    ("sv", "I vilka städer höll Hanshin Diesel Works sina seminarier i Vietnam?", ["TP. Hồ Chí Minh", "Hải Phòng"], D0, 31, {"class": "sv_over_vi", "kind": "name"}),
    ("sv", "Till vilken nivå hoppas man att relationen mellan EU och Vietnam ska uppgraderas?", ["đối tác chiến lược toàn diện"], D1, 12, {"class": "sv_over_vi", "kind": "name"}),
    # vi_over_sv: Vietnamese questions answered only by the Swedish document 004
    ("vi", "Theo Thứ trưởng Bùi Thế Duy, xây dựng thể chế cho AI và công nghệ số ngoài yêu cầu quản lý còn là gì?", ["en grund för att säkerställa att tekniken tjänar människor och hållbar utveckling"], D4, 7, {"class": "vi_over_sv"}),
    ("vi", "Theo Đại sứ Guerrier, định hướng chuyển đổi số của EU dựa trên những yếu tố nào?", ["suveränitet, oberoende och förtroende"], D4, 20, {"class": "vi_over_sv"}),
    ("vi", "Theo Đại sứ EU, mô hình phát triển AI mà EU theo đuổi lấy những yếu tố nào làm nền tảng, bên cạnh minh bạch và dân chủ?", ["cybersäkerhet och motståndskraft"], D4, 21, {"class": "vi_over_sv"}),
    ("vi", "Phái đoàn EU trình bày chiến lược nào tại diễn đàn hợp tác số về quản trị AI?", ["EU:s strategi för internationellt digitalt samarbete"], D4, 25, {"class": "vi_over_sv", "kind": "name"}),
    ("vi", "Ngoài diễn đàn hợp tác số, EU còn tham gia hoạt động nào về quản trị AI trong Tuần lễ Số Quốc tế Việt Nam 2025?", ["ministerrundabordssamtalen om AI-styrning"], D4, 19, {"class": "vi_over_sv", "kind": "name"}),
    ("vi", "Hợp tác với EU giúp doanh nghiệp công nghệ Việt Nam vươn tới thị trường nào?", ["den europeiska marknaden"], D4, 15, {"class": "vi_over_sv", "kind": "name"}),
    # metadata: the document's source or date; gold = the line it is read from (assistant/metadata.py)
    ("vi", "Bài báo về diễn đàn Mở rộng đầu tư số được lấy từ nguồn nào?", ["D4D Hub"], D1, 14, {"class": "metadata", "kind": "name"}),
    ("sv", "Vilken källa anges för artikeln om forumet för digitala investeringar i Ho Chi Minh-staden?", ["D4D Hub"], D1, 14, {"class": "metadata", "kind": "name"}),
    ("en", "What is the source of the Swedish-language article on Vietnam-EU cooperation in AI governance?", ["mst.gov.vn"], D4, 27, {"class": "metadata", "kind": "name"}),
    ("sv", "Vilket datum publicerades artikeln om Vietnams och EU:s samarbete inom AI-styrning?", ["27/10/2025"], D4, 4, {"class": "metadata", "kind": "date"}),
    ("vi", "Bài viết về Việt Nam - EU thúc đẩy hợp tác chuyển đổi số được đăng ngày nào?", ["29/10/2025"], D0, 1, {"class": "metadata", "kind": "date"}),
    ("en", "On what date was the article about the Vietnam-EU digital transformation partnership published?", ["29/10/2025"], D0, 1, {"class": "metadata", "kind": "date"}),
    ("en", "When was the article announcing the digital forum and the research and innovation day in Ninh Binh published?", ["2025-10-21"], D2, 1, {"class": "metadata", "kind": "date"}),
    # near_topic_unanswerable: the same relation for another entity, year or place (answers = [])
    ("vi", "Đại sứ Nhật Bản tại Việt Nam là ai?", [], None, None, {"class": "near_topic_unanswerable", "near_topic": True}),
    ("en", "Who is Sweden's ambassador to Vietnam?", [], None, None, {"class": "near_topic_unanswerable", "near_topic": True}),
    ("vi", "Kim ngạch thương mại nông sản Việt Nam - Chile năm 2024 đạt bao nhiêu?", [], None, None, {"class": "near_topic_unanswerable", "near_topic": True}),
    ("en", "How much did Vietnam's textile exports reach in the first eight months of 2024?", [], None, None, {"class": "near_topic_unanswerable", "near_topic": True}),
    ("sv", "Hur många vietnamesiska IT-ingenjörer arbetar i Sydkorea?", [], None, None, {"class": "near_topic_unanswerable", "near_topic": True}),
    ("vi", "Ai là Chủ tịch Liên đoàn Công nghiệp bang São Paulo (FIESP)?", [], None, None, {"class": "near_topic_unanswerable", "near_topic": True}),
    ("en", "On what date is the EU-Vietnam Digital Cooperation Forum held in Da Nang?", [], None, None, {"class": "near_topic_unanswerable", "near_topic": True}),
    ("vi", "Tuần lễ Số Quốc tế Việt Nam năm 2026 sẽ được tổ chức tại tỉnh nào?", [], None, None, {"class": "near_topic_unanswerable", "near_topic": True}),
    ("sv", "Hur mycket är EU:s program för grön yrkesutbildning i Laos värt?", [], None, None, {"class": "near_topic_unanswerable", "near_topic": True}),
    ("vi", "Bài báo về Ngày chuyển đổi số Việt Nam 2025 tại Tokyo được đăng ngày nào?", [], None, None, {"class": "near_topic_unanswerable", "near_topic": True, "note": "a metadata question: 003 states no publication date"}),
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
    classes = {c: sum(1 for r in out if r.get("class") == c) for c in dict.fromkeys(r["class"] for r in out if "class" in r)}
    print(f"wrote {len(out)} questions to {path} ({sum(1 for r in out if not r['answers'])} unanswerable; {langs}; classes {classes}); {bad} problems")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
