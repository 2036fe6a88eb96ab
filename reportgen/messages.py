"""Every Vietnamese sentence the user reads about an error or a review note.

Templates are module-level constants keyed by the exception (or note) they
describe, so the wording lives in one place. :func:`describe` turns a
:class:`~reportgen.errors.ReportgenError` into its message.
"""

from __future__ import annotations

from . import errors

# --- review notes written into the catalog -------------------------------------------
NOTE_DUPLICATE_NUMBER = (
    "Số thứ tự {number} bị trùng trong mục {section} ({where}); dòng sau được gán mã {code}. Kiểm tra lại bản gốc."
)
NOTE_FUZZY_AGENCY = 'Tên cơ quan "{text}" được hiểu là "{name}" (viết gần đúng, {score}%).'
NOTE_LEFTOVER_START = "Không nhận ra cơ quan"  # such a note is a problem (checker)
NOTE_LEFTOVER_AGENCY = (
    'Không nhận ra cơ quan "{text}" trong cột {column}{hint}: thêm tên này vào config/agencies.yaml '
    "(mục aliases) hoặc sửa lại danh mục."
)
NOTE_LEFTOVER_NEAR = " (gần giống: {names}, nhưng khác số hoặc khác tên nên không tự ghép)"
NOTE_NO_REPORTER_COLUMN = (
    "Bảng không có cột đơn vị thực hiện: cơ quan theo dõi từng chỉ tiêu báo cáo số liệu của chỉ tiêu đó."
)
NOTE_NO_MONITOR_COLUMN = "Bảng không có cột cơ quan theo dõi: hãy ghi trường monitor cho từng chỉ tiêu."
NOTE_MONITOR_SEVERAL = "Có {count} cơ quan theo dõi; cơ quan đầu tiên ({name}) được dùng để tổng hợp."
NOTE_STAND_IN = "Một số chủ thể không tự báo cáo được ({names}): cơ quan theo dõi báo cáo thay."
NOTE_COMPOSITE = "Chỉ tiêu kép: tách thành {count} giá trị cần thu thập ({labels})."
# Every note on who reports a row begins with DUTY_NOTE (see importer._flagged).
DUTY_NOTE = "Đơn vị báo cáo:"
NOTE_DUTY_HOLDER = DUTY_NOTE + " chỉ {name} ({why}); sửa trường reporters nếu cơ quan khác nắm số liệu này."
NOTE_DUTY_OPERATORS = DUTY_NOTE + " các doanh nghiệp viễn thông ({names}); {why} (aggregate: max)."
NOTE_DUTY_UNSURE = (
    DUTY_NOTE + ' {count} đơn vị thực hiện cùng báo cáo, tổng hợp "{rule}" ({why}); kiểm tra lại trường reporters, '
    "aggregate."
)
NOTE_TASK_LEAD = (
    "Nhiệm vụ: {name} (cơ quan theo dõi) báo cáo tình trạng ban hành văn bản, vì đơn vị được giao đầu tiên "
    "là một nhóm hoặc không tự báo cáo được."
)
NOTE_SHARED_FIGURES = (
    "{count} chỉ tiêu là số liệu chung của cả tỉnh (tỷ lệ trên dân số, vùng phủ, xếp hạng, chỉ số, tỷ trọng GRDP…): "
    "chỉ cơ quan nắm số liệu báo cáo, các đơn vị thực hiện không phải báo cáo (trường reporters): {codes}."
)
NOTE_UNPARSED_TARGET = (
    'Không đọc được chỉ tiêu "{text}" ({when}); đã giữ nguyên văn bản. Hãy ghi op/value '
    "(ví dụ op: '>=', value: 70) và xoá dòng parsed: false."
)
NOTE_TRACKED_CHANGES = (
    "Tệp còn {count} thay đổi được theo dõi (Track Changes) chưa chấp nhận; bảng đã được đọc như khi chấp nhận "
    "tất cả. Hãy mở tệp trong Word, chọn Review → Accept All Changes (Xem lại → Chấp nhận tất cả), lưu lại rồi "
    "nhập lại nếu bảng sau khi chấp nhận khác đi."
)
NOTE_SHEETS_SKIPPED = (
    "Trang tính không có bảng chỉ tiêu nên không đọc: {skipped}. Đã đọc: {read}. Nếu bảng nằm ở trang tính khác, "
    "nhập lại với --sheet TÊN."
)
NOTE_UNNUMBERED = 'Dòng không có số thứ tự và không có số liệu nên bỏ qua ({where}): "{text}".'
NOTE_NO_TARGET = "Chỉ tiêu không có mức chỉ tiêu nào trong bảng."
NOTE_NO_YEAR = "Không rõ năm hoặc thời hạn đạt chỉ tiêu; hãy ghi year hoặc deadline."
NOTE_GROWTH = "Chỉ tiêu tốc độ tăng trung bình: đơn vị báo cáo số tuyệt đối, phần mềm tự tính % tăng."
NOTE_YEAR_TO_DATE = (
    '{count} chỉ tiêu đếm theo năm ("mỗi năm", "hằng năm"): đơn vị báo cáo số lũy kế từ đầu năm đến ngày chốt '
    "số liệu (basis: ytd); số liệu không chuyển sang năm sau: {codes}."
)
NOTE_NO_REFERENCE = (
    'Chưa có số, ngày ký của văn bản ban hành kế hoạch ("{name}"): ghi trường number (ví dụ 13/KH-UBND) và '
    "signed_on (ví dụ 2026-03-25) để báo cáo trích dẫn đúng."
)
NOTE_CONFIRMED = "Đã xác nhận (trường confirmed): {text}"


def note_rank(note: str) -> int:
    """How soon a reviewer should read a note: 0 (who reports, which agency) before 1 (targets) before 2
    (what holds for the whole plan, and what was confirmed)."""
    counted = note.lstrip("0123456789 ")  # "32 chỉ tiêu là …": a count of rows leads the plan's summaries
    for prefix, rank in _RANKS:
        if note.startswith(prefix) or counted.startswith(prefix):
            return rank
    return 1


_RANKS = (
    (NOTE_LEFTOVER_START, 0),
    (NOTE_FUZZY_AGENCY.split('"', 1)[0], 0),
    (DUTY_NOTE, 0),
    (NOTE_MONITOR_SEVERAL.split("{", 1)[0], 0),
    (NOTE_CONFIRMED.split("{", 1)[0], 2),
    (NOTE_TASK_LEAD.split("{", 1)[0], 2),
    (NOTE_NO_REFERENCE.split("(", 1)[0], 2),
    (NOTE_SHARED_FIGURES.split("{count} ", 1)[1][:30], 2),
    (NOTE_YEAR_TO_DATE.split("{count} ", 1)[1][:20], 2),
)

NOTE_TWIN = (
    'Có thể là cùng một chỉ tiêu với {code} "{name}" của {plan} (tên giống {score}%, cùng đơn vị, cùng cách '
    'tổng hợp, {shared} cơ quan báo cáo cả hai). Nếu đúng, thêm vào dòng này: same_as: "{ref}" — cơ quan báo '
    "cáo cả hai chỉ điền một lần, số liệu dùng cho cả hai kế hoạch."
)
NOTE_NOT_TWIN = (
    'Tên gần giống {code} "{name}" của {plan} ({score}%) nhưng không phải cùng một chỉ tiêu: {why}. Không nối same_as.'
)
NOT_TWIN_NUMBERS = 'con số trong tên khác nhau ("{a}" và "{b}")'
NOT_TWIN_UNIT = "khác đơn vị ({a} và {b})"
NOT_TWIN_RULE = "khác cách tính: một bên là {a}, bên kia là {b}"
NOT_TWIN_PARTS = "số giá trị cần thu khác nhau ({a} và {b}): same_as chỉ nối hai dòng có cùng số phần"
NOT_TWIN_REPORTERS = "không có cơ quan nào báo cáo cả hai"
BASIS_WORDS = {
    "single": "số liệu chung của cả tỉnh do một cơ quan nắm",
    "max": "số liệu chung của cả tỉnh (lấy số cao nhất các đơn vị báo)",
    "min": "số liệu chung của cả tỉnh (lấy số thấp nhất các đơn vị báo)",
    "sum": "tổng số liệu riêng của từng đơn vị",
    "ratio": "tỷ lệ tính từ tử số, mẫu số riêng của từng đơn vị",
    "all": "đánh giá từng đơn vị (đạt khi mọi đơn vị đạt)",
}

# --- problems found by `catalog check` ------------------------------------------------
PROBLEM_SAME_APPENDIX = (
    "Kế hoạch {plan} và {other} có {common}/{total} chỉ tiêu trùng cả số thứ tự lẫn tên: có lẽ cùng một phụ lục "
    "được nhập hai lần, nên biểu mẫu sẽ hỏi mỗi dòng hai lần. Nếu đúng vậy, giữ một kế hoạch và xoá tệp của kế "
    "hoạch kia (config/plans/{plan}.yaml hoặc config/plans/{other}.yaml)."
)
PROBLEM_NO_REPORTER = "Chưa có đơn vị báo cáo (reporters trống hoặc không mở rộng được)."
PROBLEM_UNKNOWN_CODE = 'Mã cơ quan "{code}" ở trường {field} không có trong config/agencies.yaml.'
PROBLEM_BAD_AGGREGATE = 'Quy tắc tổng hợp "{rule}" không hợp lệ; dùng một trong: single, sum, ratio, all, min, max.'
PROBLEM_DUPLICATE_CODE = "Mã chỉ tiêu {code} bị trùng trong kế hoạch."
PROBLEM_UNPARSED = 'Mức chỉ tiêu "{text}" chưa được đọc (parsed: false).'
PROBLEM_SINGLE_MANY = "Quy tắc single nhưng có {count} đơn vị báo cáo; chỉ giữ một đơn vị trong reporters."
PROBLEM_MONITOR_GROUP = (
    'Cơ quan theo dõi là nhóm "{name}" ({code}), không phải một cơ quan: ghi vào trường monitor mã của cơ quan '
    "chịu trách nhiệm tổng hợp chỉ tiêu."
)
PROBLEM_BAD_DIRECTION = (
    'Trường direction "{value}" không hợp lệ: ghi higher (càng cao càng tốt) hoặc lower (càng thấp càng tốt).'
)
PROBLEM_BAD_BASIS = (
    'Trường basis "{value}" không hợp lệ: ghi level (số liệu tại thời điểm), ytd (lũy kế từ đầu năm) '
    "hoặc growth (tốc độ tăng)."
)
PROBLEM_BAD_OP = (
    'Mức chỉ tiêu {where}: phép so sánh op "{op}" không hợp lệ; dùng một trong ">=", ">", "<=", "<", "=", "range".'
)
PROBLEM_NO_VALUE = 'Mức chỉ tiêu "{text}" {where} là số nhưng thiếu value: ghi con số của mức chỉ tiêu.'
PROBLEM_RANGE_OPEN = (
    'Mức chỉ tiêu "{text}" {where} là một khoảng (op: range) nhưng thiếu cận trên value_max: ghi value_max, '
    'hoặc đổi op thành ">=" nếu chỉ có cận dưới.'
)
PROBLEM_RANGE_REVERSED = 'Mức chỉ tiêu "{text}" {where}: cận trên value_max nhỏ hơn cận dưới value.'
PROBLEM_TEXT_VALUE = (
    'Mức chỉ tiêu {where} ghi bằng chữ là "{text}" ({written}) nhưng trường op/value là {stored}: '
    "sửa cho khớp với văn bản kế hoạch."
)
PROBLEM_YEAR_OUTSIDE = "Mốc năm {year} nằm ngoài các năm của kế hoạch ({first}–{last}): kiểm tra lại trường year."
HIGHER_IS_BETTER = "càng cao càng tốt"
LOWER_IS_BETTER = "càng thấp càng tốt"
PROBLEM_MILESTONE_BACK = (
    'Mốc năm {year} ("{text}") lùi so với mốc năm {earlier} ("{earlier_text}") trong khi chỉ tiêu {better}: '
    "đối chiếu với văn bản kế hoạch; nếu văn bản đúng như vậy, ghi confirmed: [{check}] cho chỉ tiêu này."
)


def target_where(target) -> str:
    """Where a target sits, for a message: "(năm 2030)", "(thời hạn Tháng 12/2026)"."""
    if target.year is not None:
        return f"(năm {target.year})"
    return f"(thời hạn {target.deadline})" if target.deadline else ""


# --- exceptions: one table per kind of error, keyed by the error's reason code -------------
SOURCE = {
    "missing": "Không tìm thấy tệp {file}. Kiểm tra lại đường dẫn.",
    "corrupt": "Tệp {file} bị hỏng hoặc không phải tệp Word/Excel hợp lệ. Mở lại bằng Word/Excel và lưu lại.",
    "unknown-format": "Không nhận ra định dạng tệp {file}: dùng .txt (tách bằng Tab), .docx hoặc .xlsx.",
    "old-office-format": (
        "Tệp {file} là định dạng Office cũ (.doc/.xls). Mở bằng Word/Excel và lưu lại dạng .docx/.xlsx."
    ),
    "encoding": "Tệp {file} không phải văn bản UTF-8. Lưu lại tệp với mã hoá UTF-8.",
    "no-table": "Tệp {file} không có bảng nào. Phụ lục chỉ tiêu phải là một bảng Word.",
    "no-sheet": 'Tệp {file} không có trang tính "{sheet}". Các trang tính hiện có: {sheets}.',
    "no-header": (
        'Không tìm thấy dòng tiêu đề bảng trong {file}: cần các cột như "STT", "Chỉ tiêu", '
        '"Đơn vị tính", "Cơ quan chủ trì…".'
    ),
    "no-header-sheets": (
        'Không trang tính nào của {file} có bảng chỉ tiêu (cần dòng tiêu đề với các cột như "STT", "Chỉ tiêu", '
        '"Đơn vị tính", "Cơ quan chủ trì…"). Các trang tính: {sheets}. Chọn trang tính có bảng bằng --sheet TÊN.'
    ),
    "no-items": "Bảng trong {file} không có dòng chỉ tiêu nào.",
    "no-number": (
        'Tệp {file}, {where}: dòng "{name}" có số liệu nhưng ô số thứ tự (cột STT) để trống. Ghi số thứ tự '
        "cho dòng này (ví dụ 3. hoặc 2.1.) rồi nhập lại."
    ),
    "too-large": "Tệp {file} quá lớn ({size} MB, tối đa {limit} MB): đây không phải một phụ lục kế hoạch.",
    "odf": "Tệp {file} là định dạng OpenDocument (.odt/.ods). Mở bằng LibreOffice và lưu lại dạng .docx hoặc .xlsx.",
    "rtf": "Tệp {file} là định dạng RTF. Mở bằng Word và lưu lại dạng .docx (Word Document).",
    "corrupt-pdf": "Tệp {file} là PDF bị hỏng, không mở được. Tải lại tệp từ cổng thông tin hoặc xin bản .docx.",
    "pdf-too-long": "Tệp {file} có {pages} trang (tối đa {limit}): hãy tách riêng phần phụ lục rồi nhập.",
    "scanned-pdf": (
        "Tệp {file} là PDF quét (chỉ có ảnh, không có chữ) nên không đọc được bảng. Hãy xin cơ quan ban hành "
        "bản .docx, hoặc tải bản PDF mà cổng thông tin cho tải về (bản có chữ chọn được), rồi nhập lại."
    ),
    "pdf-no-table": (
        "Không tìm thấy bảng có kẻ khung trong tệp PDF {file}. Hãy dùng bản .docx của phụ lục, hoặc chép bảng "
        "sang Excel rồi nhập tệp .xlsx."
    ),
}

CONFIG = {
    "not-a-mapping": "Tệp {file} phải là một danh mục dạng khoá: giá trị (YAML mapping).",
    "yaml": "Tệp {file}, dòng {line}, cột {column}: {problem}. Sửa lại rồi chạy lại lệnh.",
    "encoding": (
        "Tệp {file} không lưu ở dạng UTF-8 (dòng {line} có chữ không đọc được, thường do lưu kiểu ANSI). Mở tệp "
        "bằng Notepad, chọn Tệp → Lưu thành (File → Save As), ở ô Mã hóa (Encoding) chọn UTF-8, lưu rồi chạy lại."
    ),
    "missing-field": 'Tệp {file}: một mục thiếu trường "{field}" ({entry}).',
    "duplicate-code": 'Tệp {file}: mã "{code}" xuất hiện hai lần; mỗi mã phải là duy nhất.',
    "bad-plan-id": (
        'Tệp {file}: mã kế hoạch "{code}" không hợp lệ. Mã chỉ gồm chữ thường không dấu, chữ số và dấu gạch '
        "nối, ví dụ ninh-binh-2026."
    ),
    "bad-code": (
        'Tệp {file}: mã "{code}" của "{name}" không hợp lệ. Mã chỉ gồm chữ thường không dấu, chữ số và dấu '
        "gạch nối giữa các phần, ví dụ so-khcn, p-hoa-lu."
    ),
    "unknown-member": 'Tệp {file}: nhóm/cơ quan "{code}" tham chiếu mã không tồn tại "{member}".',
    "bad-value": 'Tệp {file}, dòng {line}: giá trị "{value}" của trường {field} không hợp lệ; {hint}',
    "missing-file": 'Thiếu tệp cấu hình {file}. Chạy "reportgen init" để tạo thư mục làm việc mới.',
}

STORE = {
    "not-sqlite": 'Cơ sở dữ liệu "{path}" không được hỗ trợ: chỉ dùng SQLite (database.url dạng '
    "sqlite:///đường/dẫn.sqlite trong config/settings.yaml).",
    "open": "Không mở được cơ sở dữ liệu {path}: {error}",
    "locked": "Cơ sở dữ liệu {path} đang bị khoá bởi tiến trình khác. Chờ lệnh kia chạy xong rồi chạy lại.",
    "read-only": (
        "Không ghi được cơ sở dữ liệu {path}: thư mục chỉ đọc hoặc không có quyền ghi. Các lệnh xem (status, "
        "explain, history, catalog show) vẫn chạy được; để thu thập, lập biểu mẫu, nhắc việc, hãy cấp quyền ghi "
        "cho thư mục output/ hoặc chép thư mục làm việc sang ổ đĩa ghi được."
    ),
    "read-only-old": (
        "Cơ sở dữ liệu {path} do phiên bản cũ tạo ra và đang ở chế độ chỉ đọc nên không nâng cấp được: chạy một "
        "lệnh bất kỳ trên bản ghi được (ví dụ reportgen status) một lần rồi chép lại."
    ),
}

MAIL = {
    "connection": "Không gửi được thư: mất kết nối tới máy chủ thư ({error}).",
    "server-said": "Không gửi được thư: máy chủ trả lời {code}: {text}",
    "recipients-refused": "Không gửi được thư: máy chủ từ chối người nhận {recipients}.",
    "tls": "Không gửi được thư: lỗi TLS/chứng chỉ ({error}). Máy chủ dùng chứng chỉ nội bộ thì ghi tệp CA "
    "vào mail.ca_file; kiểm tra cả mail.security và mail.port.",
    "other": "Không gửi được thư: {error}",
    "outcome-unknown": (
        "Chưa rõ thư đã đến hay chưa: máy chủ thư ngắt kết nối ngay sau khi nhận nội dung ({error}). Thư không "
        "được gửi lại ngay để tránh gửi trùng; lần chạy sau sẽ thử lại một lần với cùng mã thư (Message-ID). "
        "Có thể hỏi đơn vị nhận hoặc xem hộp thư đã gửi."
    ),
    "no-host": "Chưa khai báo máy chủ SMTP: ghi mail.host trong config/settings.yaml.",
    "bad-security": 'mail.security là "{value}": chỉ dùng ssl, starttls hoặc plain (config/settings.yaml).',
    "no-password": "Chưa đặt mật khẩu SMTP: đặt biến môi trường {variable} (không ghi mật khẩu vào tệp cấu hình).",
    "plain-auth": (
        "mail.security là plain nhưng có tài khoản đăng nhập: mật khẩu sẽ đi qua mạng không mã hoá tới {host}. "
        "Dùng ssl (cổng 465) hoặc starttls (cổng 587); chỉ khi máy chủ nằm trong mạng nội bộ tin cậy mới ghi "
        "mail.allow_plain_auth: true trong config/settings.yaml."
    ),
    "no-imap-host": "Chưa khai báo hộp thư nhận: ghi imap.host (và imap.username) trong config/settings.yaml.",
    "no-imap-password": (
        "Chưa đặt mật khẩu hộp thư nhận: đặt biến môi trường {variable} (không ghi mật khẩu vào tệp cấu hình)."
    ),
    "bad-imap-security": 'imap.security là "{value}": chỉ dùng ssl (cổng 993) hoặc starttls (cổng 143).',
    "imap-login": "Máy chủ {host} từ chối đăng nhập hộp thư {user}: kiểm tra imap.username và mật khẩu (Gmail, "
    "Outlook: dùng mật khẩu ứng dụng).",
    "imap-tls": "Không kết nối được hộp thư {host}: lỗi TLS/chứng chỉ ({error}). Máy chủ dùng chứng chỉ nội bộ thì "
    "ghi tệp CA vào imap.ca_file.",
    "imap-connect": "Không kết nối được hộp thư {host}:{port} ({error}). Kiểm tra imap.host, imap.port và mạng.",
    "imap-fetch": "Máy chủ hộp thư không trả thư về ({error}). Chạy lại lệnh sau ít phút.",
}

REPORT = {
    "template-unreadable": "Không tạo được báo cáo: mẫu báo cáo {template} không mở được ({error}).",
    "template-no-sheet": 'Không tạo được báo cáo: mẫu {template} thiếu trang tính "{sheet}" (dòng 3: tiêu đề cột, '
    "dòng 4: dòng mục, dòng 5: dòng số liệu). Khôi phục mẫu gốc bằng cách xoá tệp này.",
    "template-tags": "Không tạo được báo cáo: mẫu báo cáo {template} có thẻ không hợp lệ: {error}",
    "convert-failed": "LibreOffice không chuyển được {file} sang {fmt}: {output}",
}

GENERAL = {
    # usage
    "workspace-not-found": (
        "Không tìm thấy thư mục làm việc tại {path} (thiếu thư mục config/). Dùng --workspace DIR, "
        'biến REPORTGEN_WORKSPACE, hoặc tạo mới bằng "reportgen init THƯ_MỤC".'
    ),
    "workspace-exists": (
        "Thư mục {path} đã có thư mục làm việc (config/). Chọn thư mục khác, hoặc thêm --force để ghi lại cấu "
        "hình mẫu (các tệp đã sửa được giữ lại trong thư mục config-cu-<ngày giờ>)."
    ),
    "unknown-plan": 'Không có kế hoạch "{plan}". Các kế hoạch hiện có: {known}.',
    "unknown-agency": 'Không có cơ quan mã "{agency}" trong config/agencies.yaml. {hint}',
    "bad-period": (
        'Kỳ báo cáo "{period}" không hợp lệ. Viết theo dạng 2026-11 hoặc "Tháng 11/2026" (tháng), 2026-Q4 hoặc '
        '"Quý 4/2026" (quý), 2026-H1 hoặc "6 tháng đầu năm 2026" (6 tháng), 2026 hoặc "Năm 2026" (năm).'
    ),
    "plan-id": "Mã kế hoạch chỉ gồm chữ thường không dấu, số và dấu gạch, ví dụ: {suggestion}",
    "plan-exists": "Đã có {file}. Thêm --force để ghi đè (các chỉnh sửa tay sẽ mất).",
    "plan-province": (
        "Tệp {file} là kế hoạch của tỉnh {found}, không phải tỉnh {expected} của thư mục làm việc: thêm "
        "--province {code} để đối chiếu tên cơ quan với danh sách cơ quan của tỉnh {found}."
    ),
    "no-indicator": 'Không có chỉ tiêu mã "{code}" trong kỳ {period} (xem mã bằng "reportgen catalog show").',
    "indicator-in-many-plans": 'Mã "{code}" có ở nhiều kế hoạch ({plans}); thêm --plan để chọn.',
    "bad-date": 'Ngày "{value}" không hợp lệ; viết dạng 2026-11-20.',
    "bad-number": (
        'Số văn bản "{value}" không hợp lệ: ghi phần số của văn bản, ví dụ 5 hoặc 05 (hoặc 05{suffix}); phần '
        '"{suffix}" được thêm vào theo thể thức.'
    ),
    "date-before-data": (
        "Ngày báo cáo {day} sớm hơn số liệu đã nhận (tệp cuối cùng của kỳ nhận lúc {last}): ghi ngày lập báo cáo, "
        "từ ngày đó trở đi."
    ),
    "date-before-period": "Ngày báo cáo {day} trước khi {period} bắt đầu: ghi ngày lập báo cáo, dạng 2026-11-20.",
    "date-future": "Ngày báo cáo {day} còn quá xa (hôm nay {today}): ghi ngày lập báo cáo, dạng 2026-11-20.",
    "already-signed": (
        "Báo cáo {period} đã ký (số {number}, ngày {signed_on}). Muốn ký lại, mở lại kỳ trước: "
        'reportgen sign --period … --reopen --reason "…".'
    ),
    "number-used": (
        "Số {number} đã dùng cho một báo cáo {period} đã ký trước đó: báo cáo lập lại sau khi mở kỳ được đánh số mới."
    ),
    "not-signed": "Báo cáo {period} chưa ký: không có gì để mở lại.",
    "reopen-reason": 'Mở lại kỳ đã ký cần lý do, ghi sau --reason (ví dụ --reason "Sở Y tế đính chính số liệu").',
    "signed-period": (
        "Báo cáo {period} đã ký (số {number}, ngày {signed_on}): reportgen report lập lại đúng bản đã ký, không đổi "
        'số hay ngày. Muốn lập báo cáo mới, mở lại kỳ: reportgen sign --period … --reopen --reason "…".'
    ),
    "signed-missing": (
        "Không tìm thấy bản báo cáo đã ký {file}: thư mục output/signed/ đã bị xoá hoặc chuyển. Khôi phục thư mục "
        "từ bản sao lưu rồi chạy lại."
    ),
    "held-signed": (
        "Tệp giữ lại số {id} là đính chính của {period} đã ký: chỉ áp dụng khi mở lại kỳ (reportgen sign --reopen)."
    ),
    "not-held": (
        'Không có tệp đang giữ lại mang số {id}. Các tệp đang giữ lại: {hint} (xem bằng "reportgen held list").'
    ),
    "month-only": "--month cần một tháng, dạng 2026-11.",
    "no-forms-for-long-periods": (
        "Không lập biểu mẫu riêng cho {period}: số liệu quý, 6 tháng và năm được tổng hợp từ số liệu hằng tháng, "
        "tính đến ngày chốt {cutoff} (như số liệu {month_label}). Lập biểu mẫu tháng: reportgen forms --period "
        "{month}. Muốn lập thêm biểu mẫu quý, đặt forms.quarterly: true trong config/settings.yaml."
    ),
    # problems in the user's data (exit 1)
    "catalog-problems": "Danh mục còn {count} lỗi cần sửa (xem danh sách trên).",
    "no-data-yet": (
        "Chưa có số liệu nào đến kỳ {period} (chưa cơ quan nào gửi báo cáo): không lập báo cáo trống. Thu thập "
        "biểu mẫu trước (reportgen collect), hoặc kiểm tra lại kỳ báo cáo."
    ),
    "nothing-owed": "Không có cơ quan nào phải báo cáo trong kỳ {period} với lựa chọn này.",
    "no-files": (
        "Không có tệp bảng tính nào (.xlsx, .xls, .ods, .zip) để thu thập trong {paths}. Kiểm tra lại thư mục, "
        "hoặc lưu các tệp đính kèm vào đó rồi chạy lại."
    ),
    "files-with-problems": "{count} tệp có lỗi hoặc bị từ chối (xem biên nhận ở trên).",
    "mail-problems": "{count} thư có tệp lỗi, không kèm biểu mẫu hoặc chưa xử lý được (xem ở trên).",
    "no-forms": "Chưa có biểu mẫu kỳ {period}. Chạy trước: reportgen forms --period {period}",
    "mail-failed": 'Có thư gửi lỗi; sẽ thử lại ở lần chạy sau (xem "reportgen status").',
    "not-signed-copy": "Tệp không phải báo cáo đã ký.",
    # the machine
    "interrupted": "Đã dừng theo yêu cầu (Ctrl+C). Chạy lại lệnh khi cần: lệnh làm lại từ đầu, không ghi trùng.",
    "interrupted-collect": (
        "Đã dừng theo yêu cầu (Ctrl+C): {stored}/{total} tệp đã được lưu đầy đủ vào cơ sở dữ liệu (kèm biên "
        "nhận). Chạy lại đúng lệnh này: các tệp đã lưu được nhận ra và không ghi trùng, các tệp còn lại được "
        "thu thập tiếp."
    ),
    "file-locked": (
        "Không ghi được {file}: tệp đang mở trong chương trình khác (Word, Excel…). Đóng tệp {name} trong "
        "Word/Excel rồi chạy lại lệnh. Không tệp nào bị ghi dở."
    ),
    "period-outside-plans": (
        "Kỳ {period} nằm ngoài thời gian của các kế hoạch ({first}–{last}): không có chỉ tiêu nào để báo cáo. "
        "Kiểm tra lại năm của kỳ báo cáo."
    ),
    "period-future": (
        "Kỳ {period} chưa đến (hôm nay {today}): chỉ lập biểu mẫu, báo cáo từ kỳ hiện tại đến tháng sau."
    ),
    "scheduler-running": (
        'Bộ lập lịch đã chạy ở một tiến trình khác (khoá {path}). Chỉ chạy một "reportgen schedule run".'
    ),
    "libreoffice": (
        "Chưa cài LibreOffice (soffice). Cài LibreOffice (Windows: libreoffice.org; Debian/Ubuntu: "
        "apt install libreoffice-writer-nogui) rồi chạy lại với --pdf. Tệp .docx đã được tạo và dùng được ngay."
    ),
}

_TABLES: tuple[tuple[type, dict[str, str]], ...] = (
    (errors.SourceError, SOURCE),
    (errors.ConfigError, CONFIG),
    (errors.StoreError, STORE),
    (errors.MailError, MAIL),
    (errors.ReportError, REPORT),
    (errors.ReportgenError, GENERAL),
)


class _Facts(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def describe(error: errors.ReportgenError) -> str:
    """The Vietnamese message for an exception raised inside reportgen."""
    if isinstance(error, errors.FileRejected):
        return refusal(error.reason, error.facts)
    table = next(t for cls, t in _TABLES if isinstance(error, cls))
    return _render(table.get(error.reason) or GENERAL.get(error.reason) or error.reason, error.facts)


def refusal(reason: str, facts: dict) -> str:
    """Why a returned file is refused as a whole (the receipt's sentence)."""
    return _render(REJECTIONS.get(reason, reason), facts)


def _render(template: str, facts: dict) -> str:
    """A template with its facts; numbers as Vietnamese writes them (60,5 MB, not 60.5)."""
    from .text import format_number

    shown = {k: format_number(v, 1) if isinstance(v, float) else _short(v) for k, v in facts.items() if v is not None}
    return template.format_map(_Facts(shown))


FACT_LENGTH = 200  # a fact longer than this (a whole YAML entry, a glued table) is cut in a message


def _short(value: object) -> object:
    """A fact as a message shows it: a very long one cut, with "…", so the sentence stays readable."""
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return text if len(text) <= FACT_LENGTH else text[:FACT_LENGTH].rstrip() + "…"


# --- returned workbooks: why a whole file is refused -----------------------------------------
REJECTIONS = {
    "empty": "Tệp rỗng (0 byte). Hãy gửi lại tệp biểu mẫu đã điền.",
    "too-large": "Tệp quá lớn ({size} MB, tối đa {limit} MB). Biểu mẫu chỉ vài chục KB: hãy gửi đúng "
    "tệp biểu mẫu, không chèn ảnh.",
    "zip-bomb": "Tệp nén bất thường (giải nén ra {size} MB). Tệp bị từ chối để bảo vệ hệ thống; hãy "
    "gửi lại đúng tệp biểu mẫu.",
    "corrupt": "Tệp bị hỏng hoặc không phải bảng tính Excel ({why}). Mở lại biểu mẫu bằng Excel, "
    "LibreOffice hoặc WPS, lưu dạng .xlsx rồi gửi lại.",
    "other-kind": "Đây là {actual}, không phải biểu mẫu bảng tính. Hãy gửi lại chính tệp biểu mẫu Excel đã điền "
    "(.xlsx, .xls hoặc .ods); bản PDF, ảnh chụp chỉ dùng làm minh chứng kèm theo.",
    "renamed": "Tệp có đuôi {ext} nhưng thực chất là {actual}. Hãy mở biểu mẫu gốc, điền và lưu dạng "
    ".xlsx (Excel Workbook).",
    "password": "Tệp được đặt mật khẩu nên không đọc được. Hãy bỏ mật khẩu (File > Info > Protect "
    "Workbook) rồi gửi lại.",
    "macro": "Tệp có macro (.xlsm) nên bị từ chối vì lý do an toàn. Hãy lưu lại dạng .xlsx "
    "(Excel Workbook) rồi gửi lại.",
    "xml-entity": "Tệp chứa khai báo XML bất thường (DOCTYPE/ENTITY) và bị từ chối để bảo vệ hệ thống.",
    "not-a-form": "Tệp không phải biểu mẫu của Sở (không có thông tin nhận dạng). Hãy điền vào đúng "
    "biểu mẫu đã được gửi, không chép sang tệp mới.",
    "forged": "Thông tin nhận dạng của biểu mẫu đã bị sửa (chữ ký không khớp). Hãy dùng đúng tệp "
    "biểu mẫu đã được gửi, không sửa trang tính ẩn.",
    "wrong-period": (
        "Biểu mẫu của {found_label}, không phải {expected_label} đang thu thập. Hãy điền biểu mẫu {expected_label}."
    ),
    "wrong-agency": "Tệp mang tên của {expected_name} nhưng là biểu mẫu của {found_name}. Hãy kiểm tra "
    "lại và gửi đúng biểu mẫu của đơn vị mình.",
    "unknown-agency": 'Biểu mẫu ghi mã đơn vị "{agency}" không có trong danh mục cơ quan.',
    "old-catalog": "Biểu mẫu lập theo danh mục chỉ tiêu cũ ({found}); danh mục hiện tại là {current}. "
    "Hãy điền biểu mẫu mới nhất đã được gửi.",
    "no-data-sheet": 'Không tìm thấy trang tính "BaoCao" chứa số liệu. Không đổi tên hoặc xoá trang tính của biểu mẫu.',
    "edited-header": (
        'Trang tính "{sheet}" có nhưng dòng tiêu đề và cột khoá của biểu mẫu đã bị sửa hoặc xoá, nên không biết ô '
        "nào là số liệu của chỉ tiêu nào. Hãy điền lại vào biểu mẫu gốc đã được gửi (không sửa dòng tiêu đề, không "
        "xoá cột) rồi gửi lại."
    ),
    "copied-sheet": (
        'Số liệu được điền vào trang tính "{sheet}" là bản sao của trang "{main}". Hệ thống chỉ đọc trang "{main}": '
        'hãy chép số liệu sang trang "{main}", xoá trang "{sheet}", lưu rồi gửi lại.'
    ),
    "unreadable": "Không đọc được tệp ({why}). Hãy lưu lại dạng .xlsx rồi gửi lại.",
    "blank-form": (
        "Biểu mẫu chưa có số liệu nào ({asked} dòng, không ô nào được điền) nên chưa được tính là đã nộp. "
        "Hãy điền các ô nền vàng rồi gửi lại."
    ),
    "sheet-too-large": (
        "Một trang tính của tệp có dữ liệu tới dòng {rows}, cột {columns} (biểu mẫu chỉ cần vài trăm dòng, "
        "tối đa {max_rows} dòng, {max_columns} cột). Xoá các dòng, cột thừa ở cuối trang tính (chọn, bấm "
        "Delete Rows/Columns), lưu lại rồi gửi lại."
    ),
    "reader-crashed": (
        "Trình đọc bảng tính dừng đột ngột khi mở tệp này ({why}); tệp đã được cách ly, các tệp khác vẫn "
        "được thu thập. Mở tệp bằng Excel, LibreOffice hoặc WPS, lưu lại dạng .xlsx rồi gửi lại."
    ),
    "timeout": (
        "Đọc tệp quá {seconds} giây nên đã dừng; tệp đã được cách ly, các tệp khác vẫn được thu thập. "
        "Mở tệp bằng Excel, lưu lại dạng .xlsx rồi gửi lại."
    ),
    "not-readable-now": (
        "Không mở được tệp {file} để đọc ({why}). Nếu tệp đang mở trong Excel hoặc Word, hãy đóng lại rồi "
        "chạy lại lệnh; tệp chưa được thu thập."
    ),
}

FORMAT_NAMES = {
    "html": "một trang HTML",
    "csv": "tệp văn bản/CSV",
    "docx": "tài liệu Word",
    "pdf": "tệp PDF",
    "zip": "tệp nén ZIP",
    "text": "tệp văn bản",
    "image": "ảnh",
    "xml": "tệp XML",
    "unknown": "một định dạng không nhận ra",
}

# --- returned workbooks: problems in one cell -------------------------------------------------
CELL_NOT_NUMBER = '"{raw}" không phải là số. Nhập một số, ví dụ 85,5.'
CELL_DATE_NOT_NUMBER = "Ô chứa ngày tháng ({raw}), không phải số. Nhập số liệu của chỉ tiêu."
CELL_BOOL = "Ô chứa giá trị đúng/sai, không phải số. Nhập số liệu của chỉ tiêu."
CELL_ERROR = "Ô có lỗi công thức ({raw}). Xoá công thức và nhập số trực tiếp."
CELL_NOT_FINITE = "Ô không chứa một con số hữu hạn (NaN/vô cực). Xoá ô và nhập lại số liệu."
CELL_TOO_LARGE = "Giá trị {value} quá lớn (từ 1.000 tỷ trở lên) để là số liệu của chỉ tiêu. Kiểm tra lại số chữ số."
CELL_FORMULA_NO_VALUE = (
    "Ô có công thức nhưng tệp không lưu kết quả tính (tệp không được lưu bằng Excel, LibreOffice hoặc WPS). "
    "Mở tệp, lưu lại, hoặc nhập số trực tiếp."
)
CELL_NEGATIVE = "Giá trị {value} âm. Số liệu này không thể âm; nhập số từ 0 trở lên."
CELL_PERCENT_HIGH = "Tỷ lệ {value}% vượt quá 100%. Nhập số phần trăm từ 0 đến 100 (ví dụ 85,5)."
CELL_RANK = "Thứ hạng {value} không hợp lệ. Nhập số nguyên từ 1 trở lên."
CELL_RATIO_HIGH = (
    "Tử số ({numerator}) lớn hơn mẫu số ({denominator}). Kiểm tra lại: tử số là số đạt "
    "yêu cầu, không thể lớn hơn tổng số."
)
CELL_RATIO_ZERO = "Mẫu số bằng 0. Nhập tổng số (lớn hơn 0), hoặc để trống cả hai ô nếu chưa có số liệu."
CELL_RATIO_HALF = "Mới có {present}, thiếu {missing}. Nhập cả tử số và mẫu số."
CELL_RATIO_TYPED = 'Ô "Kết quả thực hiện" được tính tự động; giá trị {raw} không được dùng. Nhập tử số và mẫu số.'
CELL_ASSESSMENT = '"{raw}" không phải lựa chọn hợp lệ. Chọn một trong: {choices}.'
CELL_EVIDENCE = (
    'Tự đánh giá "{value}" cần minh chứng: ghi số, ngày văn bản hoặc đường dẫn ở cột "Minh chứng / ghi chú".'
)
CELL_TASK_NUMBER = 'Nhiệm vụ ghi "Đã hoàn thành" cần số văn bản (ví dụ 45/QĐ-UBND) ở ô này.'
CELL_TASK_DATE = 'Nhiệm vụ ghi "Đã hoàn thành" cần ngày ban hành văn bản (dạng 31/03/2026) ở ô này.'
CELL_DATE_BEFORE = (
    "Ngày ban hành {day} trước ngày bắt đầu của kế hoạch ({since}). Kiểm tra lại năm (nhập dạng 31/03/2026)."
)
CELL_DATE_AFTER = "Ngày ban hành {day} sau ngày gửi báo cáo ({received}). Kiểm tra lại ngày, tháng, năm."
CELL_DATE = '"{raw}" không phải ngày hợp lệ. Nhập ngày dạng 31/03/2026.'
CELL_LOCKED_CHANGED = (
    'Nội dung ô đã bị sửa thành "{found}" (bản gốc: "{expected}"): nội dung đã được khôi phục theo biểu mẫu, '
    "số liệu của dòng vẫn được ghi nhận. Không sửa các ô đã khoá."
)
ROW_UNKNOWN = 'Dòng có mã "{key}" không thuộc biểu mẫu này; giá trị của dòng không được ghi nhận.'
ROW_DUPLICATE = (
    "Chỉ tiêu {code} xuất hiện hai lần (dòng {first} và dòng {second}); chỉ dòng đầu được ghi nhận. Xoá dòng chép thêm."
)
ROW_MISSING = "Thiếu dòng của chỉ tiêu {code} (có thể đã bị xoá); chỉ tiêu này chưa có số liệu."
# --- questions on plausible-looking figures (kept, but to verify) --------------------------
DOUBT_CHECK = " Nếu số liệu đúng, ghi giải thích vào cột Ghi chú/minh chứng khi gửi lại."
DOUBT_DECIMALS = 'Giá trị {value} có phần thập phân nhưng đơn vị tính "{unit}" là số đếm: kiểm tra lại.'
DOUBT_PROVINCE = "Số liệu của tỉnh: {text}"
DOUBT_DECIMALS_PART = "{part} {value} có phần thập phân nhưng là số đếm (số người, số hồ sơ…): kiểm tra lại."
DOUBT_TIMES_TARGET = "Giá trị {value} lớn hơn {times} lần mức chỉ tiêu ({target}): kiểm tra lại đơn vị, số chữ số."
DOUBT_TIMES_PREVIOUS = "Giá trị {value} lớn hơn {times} lần số liệu kỳ trước ({previous}): kiểm tra lại."
DOUBT_JUMP = "Giá trị {value} {change} {points} điểm so với kỳ trước ({previous}): kiểm tra lại."
DOUBT_LOWER_RISE = (
    "Giá trị {value} tăng mạnh so với kỳ trước ({previous}) trong khi chỉ tiêu càng thấp càng tốt: kiểm tra lại."
)
DOUBT_AMBIGUOUS = (
    '"{raw}" có thể là {value} hoặc {alt}: tạm ghi nhận {value}. Hãy xác nhận: nếu ý là số nghìn, gửi lại '
    "với số viết {alt} (không dấu phân cách); nếu là số thập phân, viết dấu phẩy có đủ chữ số thập phân ({raw}0)."
)
NOTE_PERCENT_FORMAT = "Ô định dạng phần trăm: {raw} được hiểu là {value}%."
DOUBT_SMALL_PERCENT = (
    "Giá trị {value} rất nhỏ cho một tỷ lệ % (đơn vị tính là %, không phải số lần); nếu ý là {alt}%, hãy nhập {alt}."
)
DOUBT_INDEX_SCALE = (
    "Chỉ số này đo từ 0 đến 1 (mục tiêu {target}) nhưng giá trị là {value}: nếu ý là {alt}, hãy nhập {alt}."
)
NOTE_DOCUMENT_SPLIT = "Ô số văn bản ghi cả ngày: đã tách thành số {number} và ngày {date}."
NOTE_CLEARED = (
    'Đơn vị ghi "Không có số liệu": dòng được tính là đã báo cáo, không có số liệu (số liệu đã gửi trước đó '
    "của dòng, nếu có, được rút lại)."
)

# --- what a figure covers, on each row of a form --------------------------------------------------
SCOPE_AT = "Tại ngày {cutoff}"
SCOPE_YEAR_TO_DATE = "Lũy kế 01/01/{year}–{cutoff}"
SCOPE_TASK = "Tình trạng tại ngày {cutoff}"
SCOPE_WHOSE = {
    "single": "số liệu chung của tỉnh",
    "sum": "số liệu của riêng đơn vị",
    "ratio": "số liệu của riêng đơn vị",
    "all": "đơn vị tự đánh giá",
    "min": "số liệu của riêng đơn vị",
    "max": "vùng phủ của doanh nghiệp",
}

# --- what the commands print ------------------------------------------------------------------
OUT_INIT_DONE = "Đã tạo thư mục làm việc: {root}"
OUT_INIT_FILES = (
    "  config/agencies.yaml   danh sách cơ quan (điền địa chỉ thư thật)",
    "  config/settings.yaml   cơ quan ban hành, người ký, SMTP, lịch nhắc",
    "  config/plans/*.yaml    danh mục chỉ tiêu đã nhập",
)
OUT_NEXT = "Tiếp theo: {command}"
OUT_INIT_BACKUP = "Các tệp cấu hình đã sửa được giữ lại trong {folder} trước khi ghi đè."
OUT_IMPORTED = "Đã nhập {source} vào {target}:"
OUT_IMPORT_WARNING = "  Lưu ý: {text}"
OUT_IMPORTED_COUNTS = "  {indicators} chỉ tiêu, {tasks} nhiệm vụ, {sections} mục, {groups} nhóm"
OUT_IMPORTED_FINDINGS = "  {notes} ghi chú cần rà soát, {problems} lỗi"
OUT_SEE_DETAILS = "Xem chi tiết: {command}"
OUT_CHECK_PLAN = (
    "{plan}: {indicators} chỉ tiêu, {tasks} nhiệm vụ, phiên bản {version} — {problems} lỗi, {notes} ghi chú"
)
OUT_CHECK_PROBLEM = "  LỖI     {plan} {code}: {message}"
OUT_CHECK_NOTE = "  ghi chú {plan} {code}: {message}"
OUT_CATALOG_OK = "Danh mục hợp lệ."
OUT_FORM_LINE = "{agency:16} {rows:4} dòng  {file}"
OUT_FORMS_DONE = "Đã lập {count} biểu mẫu trong {folder}."
OUT_RECEIPT_REJECTED = "✘ {file}: TỪ CHỐI. {reason}"
OUT_RECEIPT_HELD = (
    "⏸ {file} — {who}: GIỮ LẠI, chưa ghi nhận (gửi từ {sender}, không phải địa chỉ đã đăng ký của đơn vị). "
    "Tệp số {id}: xem {command}"
)
SIGN_NEEDS = "Cần --number và --date của báo cáo đã ký (ví dụ --number 05 --date 2026-11-20), hoặc --reopen."
OUT_SIGNED = "Đã ký báo cáo {period}: số {number}/BC-{short}, ngày {day}{signer}. Bản đã ký: {file}"
OUT_REOPENED = "Đã mở lại {period} (lý do: {reason}); {count} tệp đính chính đang giữ đã được áp dụng."
OUT_VERIFIED = "✔ {file} là báo cáo {period} đã ký: số {number}, ngày {day}{signer}{how}.{reopened}"
OUT_VERIFIED_HOW = {"bytes": " (trùng từng byte với bản đã ký)", "text": " (cùng nội dung với bản PDF đã ký)"}
OUT_VERIFIED_REOPENED = " Lưu ý: kỳ này sau đó đã được mở lại ngày {day}, lý do: {reason}."
OUT_NOT_VERIFIED = (
    "✘ {file} không phải báo cáo nào đã ký (không trùng bản .docx/.pdf đã ký, nội dung khác). Lưu ý: chỉ kiểm tra "
    "được tệp .docx đã ký và bản PDF do reportgen lập từ đó."
)
OUT_STATUS_SIGNED = "Đã ký: số {number}, ngày {day}{signer}; từ đó tệp mới của kỳ được giữ lại là đính chính."
OUT_STATUS_EVENT = "  {when}  {what}{who}: {detail}"
EVENT_WORDS = {"signed": "ký báo cáo", "reopened": "mở lại kỳ", "applied": "áp dụng đính chính"}
OUT_HELD_NONE = "Không có tệp nào đang giữ lại."
OUT_HELD_LINE = "  [{id}] {file} — {agency}, kỳ {period}, gửi từ {sender} lúc {when}"
OUT_HELD_HOW = "Chấp nhận: {accept}   Bỏ: {discard}"
OUT_HELD_DISCARDED = "Đã bỏ tệp giữ lại [{id}] {file}: không ghi nhận số liệu (tệp vẫn lưu trong output/archive/)."
OUT_RECEIPT_HELD_SIGNED = (
    "⏸ {file} — {who}: GIỮ LẠI là đính chính của kỳ đã ký (số {number}, ngày {signed_on}); chỉ áp dụng khi mở lại kỳ "
    "(reportgen sign --reopen)."
)
OUT_RECEIPT_SET_ASIDE = "· {file} — {who}: để riêng, {reason}"
OUT_RECEIPT = "{mark} {file} — {who}: nhận {accepted} giá trị, {problems} lỗi{doubts}{late}{again}"
OUT_RECEIPT_DOUBTS = ", {count} số liệu cần kiểm tra lại (?)"
OUT_RECEIPT_LATE = " [nộp muộn]"
OUT_RECEIPT_AGAIN = " [đã nhận trước đó lúc {when}, không thay đổi gì]"
OUT_RECEIPT_KEPT = "    Giữ nguyên {count} số liệu đã nhận trước trong kỳ (ô để trống không xoá số liệu):"
OUT_RECEIPT_KEPT_LINE = "      = {code}: {value} (tệp {file})"
OUT_RECEIPT_RETURN = "    Tệp gửi trả để sửa: {file}"
OUT_RECEIPT_CORRECTION = "    ! Kỳ này đã lập báo cáo lúc {when}: số liệu được ghi nhận là đính chính sau báo cáo."
OUT_RECEIPT_CHANGED = "    ~ {code} {field}: {old} → {new}"
SCOPE_ALSO = "dùng cho cả {rows}"
TARGET_ALSO = "{plan}: {target}{when}"
OUT_FETCH_LINE = "• Thư của {sender} ({subject}): {kind}{answered}"
OUT_FETCH_ANSWERED = "; đã trả lời {count} thư"
OUT_STATUS_INCOMING = "Thư đến: {count} thư từ đầu kỳ ({parts})."
OUT_FETCH_TOTAL = "Đã xử lý {count} thư mới trong hộp thư."
MAIL_KINDS = {
    "forms": "có biểu mẫu",
    "no-attachment": "không có tệp đính kèm",
    "wrong-file": "tệp đính kèm không phải biểu mẫu",
    "auto-reply": "thư tự động (không trả lời)",
    "bounce": "thư báo không gửi được (sai địa chỉ?)",
    "broken": "thư hỏng, không đọc được",
    "already": "đã xử lý trước đó",
    "error": "chưa xử lý được, sẽ thử lại lần sau (xem nhật ký)",
}
# Why a message was left exactly as it was (not ours): fetch says how many, for each reason.
LEFT_ALONE = {
    "own": "thư của chính Sở (bản sao thư đã gửi)",
    "old": "thư đến trước khi gửi biểu mẫu",
    "unrelated": "thư không liên quan đến biểu mẫu",
    "auto": "thư tự động không thuộc chuỗi thư của Sở",
    "bounce-other": "thư báo lỗi gửi của thư khác",
}
OUT_FETCH_LEFT = "Để nguyên {count} thư không thuộc biểu mẫu ({parts}): không trả lời, không di chuyển, không gắn nhãn."
# Parts of a mail that may be forms but cannot be opened: what to send instead.
MAIL_PARTS = {
    "encrypted-zip": 'Tệp nén "{name}" có đặt mật khẩu nên không mở được. Hãy gửi trực tiếp tệp biểu mẫu .xlsx, '
    "hoặc nén lại dạng .zip không đặt mật khẩu.",
    "broken-zip": 'Tệp nén "{name}" bị hỏng, không mở được. Hãy gửi trực tiếp tệp biểu mẫu .xlsx.',
    "member-too-large": 'Tệp "{member}" trong tệp nén "{name}" quá lớn ({size} MB, tối đa {limit} MB). Biểu mẫu chỉ '
    "vài chục KB: hãy gửi đúng tệp biểu mẫu, không chèn ảnh.",
    "too-many-in-zip": 'Tệp nén "{name}" có quá nhiều tệp bảng tính (chỉ đọc {limit} tệp đầu). Hãy gửi riêng '
    "tệp biểu mẫu của đơn vị.",
    "archive-kind": 'Tệp "{name}" là tệp nén {kind}; hệ thống chỉ mở được tệp .zip. Hãy gửi trực tiếp tệp biểu mẫu '
    ".xlsx, hoặc nén dạng .zip.",
    "broken-attachment": 'Tệp đính kèm "{name}" bị hỏng trong khi gửi (mã hoá base64 lỗi). Hãy gửi lại tệp.',
    "broken-tnef": 'Tệp "{name}" (định dạng riêng của Outlook) bị hỏng. Trong Outlook, chọn định dạng thư HTML '
    "(Format Text → HTML) rồi gửi lại biểu mẫu.",
    "broken-message": "Thư không đọc được (cấu trúc thư bị hỏng: {why}). Hãy gửi lại biểu mẫu trong một thư mới.",
}


def stored_value(value: str | None) -> str:
    """A value as the changes table keeps it ("19", "0.7", None), as a person reads it ("0,7", "(trống)")."""
    from .text import format_number

    if value is None:
        return OUT_EMPTY_VALUE
    try:
        return format_number(float(value))
    except ValueError:
        return value


def part_refusal(name: str, reason: str, facts: dict) -> str:
    """Why one part of a mail cannot be used, and what to send instead."""
    return _render(MAIL_PARTS.get(reason, reason), {"name": name, **facts})


RECEIPT_OTHER_SENDER = (
    "Lưu ý: thư được gửi từ địa chỉ {sender}, không phải địa chỉ đã đăng ký của {name} ({registered}). Nếu đơn vị "
    "đổi địa chỉ thư, đề nghị báo cho Sở để cập nhật."
)
RECEIPT_SET_ASIDE = (
    'cùng thư có tệp "{file}" là bản lưu sau (lúc {when}) của cùng biểu mẫu: tệp đó được dùng, tệp này để riêng '
    "(vẫn được lưu trữ, không ghi nhận số liệu). Nếu đây mới là bản đúng, hãy gửi lại riêng tệp này."
)
RECEIPT_USED_VERSION = (
    "Thư có nhiều bản của cùng biểu mẫu: dùng tệp này (lưu lúc {when}, bản lưu sau cùng); để riêng {others}."
)
RECEIPT_OLDER_VERSION = (
    'Trong cùng lần thu thập có tệp "{file}" lưu sau (lúc {when}) của cùng biểu mẫu: ô nào cả hai tệp cùng điền '
    "thì dùng số liệu của tệp đó; tệp này lưu lúc {mine}."
)
RECEIPT_NEWEST_VERSION = (
    "Tệp này là bản lưu sau cùng (lúc {when}) trong {count} tệp khác của cùng biểu mẫu cùng lần thu thập: ô nào "
    "các tệp cùng điền thì dùng số liệu của tệp này."
)
OUT_COLLECT_TOTAL = "Tổng cộng {count} tệp: {good} hợp lệ, {bad} có vấn đề hoặc bị từ chối."
OUT_HISTORY_HEAD = "{name} ({agency}): {count} lần nộp"
OUT_HISTORY_LINE = "  {period}: nhận {received}  {file}  {values} dòng, {problems} lỗi"
OUT_HISTORY_CURRENT = "Số liệu đang dùng ({period}):"
OUT_HISTORY_VALUE = "  {code:12} {value}  — số liệu {month}, tệp {file} nhận {received}"
OUT_HISTORY_SERIES = "Số liệu theo từng tháng:"
OUT_HISTORY_POINTS = "  {code:12} {points}"
OUT_HISTORY_CHANGES = "Các giá trị đã thay đổi:"
OUT_HISTORY_CHANGE = "  {when}  {period}  {key}  {field}: {old} → {new}  (tệp {file})"
OUT_EMPTY_VALUE = "(trống)"
FIELD_NAMES = {
    "value": "kết quả",
    "numerator": "tử số",
    "denominator": "mẫu số",
    "assessment": "đánh giá",
    "doc_number": "số văn bản",
    "doc_date": "ngày văn bản",
    "note": "ghi chú",
}
OUT_STATUS_LATE = "Nộp muộn:"
OUT_STATUS_MISSING = "Chưa nộp ({count}):"
OUT_STATUS_PROBLEMS = "Có lỗi cần sửa:"
OUT_STATUS_PARTIAL = "Đã nộp nhưng còn thiếu:"
OUT_STATUS_UNFILLED = "{name} (còn {count} dòng trống: {rows})"
OUT_STATUS_REJECTED = "Chỉ có tệp bị từ chối:"
OUT_STATUS_CORRECTIONS = "Đính chính đến sau khi đã lập báo cáo kỳ này:"
OUT_STATUS_CORRECTION_LINE = "  {name}: tệp {file} nhận {when} — {changed}"
OUT_CHANGE_SHORT = "{code} {field} {old} → {new}"
OUT_NO_CHANGE = "bổ sung, không thay đổi số liệu đã có"
OUT_STATUS_HELD = "Có tệp đang giữ lại (gửi từ địa chỉ không đăng ký), chưa ghi nhận:"
OUT_STATUS_HELD_LINE = "{name} ({count} tệp)"
OUT_STATUS_HELD_HOW = "xem và chấp nhận hoặc bỏ: {command}"
OUT_STATUS_UNUSABLE = "Thư của cơ quan không dùng được:"
OUT_STATUS_UNUSABLE_LINE = "  {name}, thư nhận {when}: {reasons}"
OUT_STATUS_BOUNCED = "Thư gửi không đến được (sửa địa chỉ trong config/agencies.yaml):"
OUT_STATUS_MAIL_FAILED = "Thư gửi lỗi ({count}):"
OUT_STATUS_MAIL_UNKNOWN = "Thư chưa rõ đã đến hay chưa ({count}), không tự gửi lại quá một lần:"
OUT_STATUS_MAIL_LINE = "{agency} — {error} (đã thử {attempts} lần)"
OUT_STATUS_PERIOD = "{label} — hạn nộp {deadline}. {indicators} chỉ tiêu, {tasks} nhiệm vụ. {counts}."
OUT_STATUS_AGENCIES = "Cơ quan: {reported}/{expected} đã nộp, {on_time} đúng hạn, {late} muộn, {missing} chưa nộp."
OUT_PROVISIONAL = " (tạm tính)"
OUT_CARRIED = " [số liệu {month}]"
OUT_PERIOD_OPEN = (
    "{label} chưa đến ngày chốt số liệu ({cutoff}): số liệu dưới đây là số liệu mới nhất đến nay, còn tạm tính."
)
OUT_EXPLAIN_CARRIED = "  Số liệu {month} (kỳ này chưa có số liệu mới)."
OUT_EXPLAIN_TREND = "  Diễn biến: {trend}"
OUT_EXPLAIN_SERIES = "Theo từng tháng:"
OUT_EXPLAIN_POINT = "  {period}: {value} — {status}"
OUT_EXPLAIN_HEAD = "{plan} {code}: {name}"
OUT_EXPLAIN_STATUS = "Đánh giá {period}: {status}"
OUT_EXPLAIN_AGENCIES = "Số liệu từng đơn vị:"
OUT_EXPLAIN_SOURCE = "  — tệp {file}, nhận {when}"
OUT_EXPLAIN_NOT_REPORTED = "  {name}: chưa báo cáo"
OUT_EXPLAIN_RATIO = "tử số {numerator}, mẫu số {denominator}"
OUT_EXPLAIN_EVIDENCE = " (minh chứng: {evidence})"
OUT_EXPLAIN_DOCUMENT = "văn bản {number} ngày {date}"
OUT_EXPLAIN_NOT_USED = " [có lỗi, không dùng để tổng hợp]"
OUT_REPORT_HEAD = "Báo cáo {period}:"
DELIVERY_TEXT = {
    "sent": "đã gửi",
    "written": "đã ghi vào hộp thư đi",
    "already-sent": "đã gửi trước đó",
    "in-progress": "đang được gửi ở tiến trình khác",
    "failed": "GỬI LỖI",
    "unknown": "CHƯA RÕ ĐÃ ĐẾN CHƯA",
    "dry-run": "sẽ gửi",
    "no-address": "KHÔNG CÓ ĐỊA CHỈ",
}
KIND_TEXT = {
    "form": "biểu mẫu",
    "reminder": "nhắc hạn",
    "overdue": "quá hạn",
    "deadline": "sắp đến hạn",
    "task-overdue": "nhiệm vụ quá hạn",
    "report": "báo cáo",
    "request": "đề nghị bổ sung",
    "held": "báo tệp giữ lại",
    "receipt": "biên nhận",
    "mail-note": "trả lời thư",
}
OUT_NO_MAIL = "Không có thư nào cần gửi hôm nay."
OUT_OUTBOX = (
    "Chưa cấu hình SMTP: thư được ghi thành tệp .eml trong {folder} để xem trước "
    "(đặt mail.mode: smtp trong config/settings.yaml để gửi thật)."
)
NO_ADDRESS = "{name} chưa có địa chỉ thư"
OUT_SCHEDULER_RUNNING = "Bộ lập lịch đang chạy cho {root} (Ctrl+C để dừng). Nhật ký: dùng --log-file."
OUT_SCHEDULE_PAST_DUE = "  (đã đến hạn: sẽ chạy ngay khi bộ lập lịch chạy)"
OUT_DEMO_START = "=== {label}: chạy thử chu trình tháng 10 và tháng 11/2026 trong {target} ==="
OUT_DEMO_LINES = (
    "\n{label} — Tháng 10 và tháng 11/2026, thư mục làm việc: {root}",
    "  Tháng 10/2026: đã thu thập và lập báo cáo (output/2026-10/). Tháng 11/2026:",
    "  Biểu mẫu đã lập: {forms} (output/2026-11/forms/)",
)
OUT_DEMO_FILLED = "  Cơ quan gửi lại: {filled}"
OUT_DEMO_LIBREOFFICE = " (một tệp lưu bằng LibreOffice)"
OUT_DEMO_COLLECTED = "  Thu thập: {count} tệp, {good} hợp lệ, {bad} có lỗi (tệp gửi trả ở output/2026-11/returns/)"
OUT_DEMO_STATUSES = "  Đánh giá: {counts}"
OUT_DEMO_CARRIED = "  {carried} chỉ tiêu, nhiệm vụ dùng số liệu tháng 10/2026 (chưa có số liệu mới)"
OUT_DEMO_AGENCIES = "  Cơ quan: {reported}/{expected} đã nộp, {late} muộn, {missing} chưa nộp"
OUT_DEMO_MAILS = "  Thư đã ghi vào hộp thư đi: {count} (output/outbox/*.eml)"
OUT_DEMO_REPORT = "  Báo cáo:"
OUT_DEMO_NO_PDF = "  (Không có PDF: {reason})"
OUT_DEMO_NEXT = "Xem tiếp: {command}"
OUT_ERROR = "Lỗi: {message}"
OUT_WARNING = "Lưu ý: {message}"
OUT_OS_ERROR = (
    "Không đọc/ghi được tệp hoặc thư mục {file} ({why}). Nếu tệp đang mở trong Excel hoặc Word, hãy đóng lại; "
    "nếu thư mục chỉ đọc, hãy cấp quyền ghi; rồi chạy lại lệnh."
)
OUT_CRASH = (
    "Lỗi ngoài dự kiến của chương trình ({error}); dữ liệu đã nhận không bị mất. Chi tiết đã ghi vào {file}: "
    "hãy gửi tệp này cho bộ phận hỗ trợ."
)
