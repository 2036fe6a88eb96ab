"""Vietnamese for click's own strings ("Usage:", "Options", error messages).

Click translates through :mod:`gettext`, which picks a language from the
environment; office PCs do not set ``LANGUAGE=vi``, so we install the
translations directly into click's modules. Unknown strings pass through.
"""

from __future__ import annotations

import importlib

VI = {
    "Usage:": "Cách dùng:",
    "Options": "Tuỳ chọn",
    "Commands": "Lệnh",
    "Positional arguments": "Tham số",
    "Show this message and exit.": "Hiện hướng dẫn này rồi thoát.",
    "Show the version and exit.": "Hiện phiên bản rồi thoát.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Gõ '{command} {option}' để xem hướng dẫn.",
    "Missing argument": "Thiếu tham số",
    "Missing option": "Thiếu tuỳ chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing command.": "Thiếu lệnh.",
    "Missing {param_type}": "Thiếu {param_type}",
    "Missing parameter: {param_name}": "Thiếu tham số: {param_name}",
    "required": "bắt buộc",
    "argument": "tham số",
    "option": "tuỳ chọn",
    "parameter": "tham số",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "No such option {name!r}.": "Không có tuỳ chọn {name!r}.",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ cho {param_hint}: {message}",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Option {name!r} does not take a value.": "Tuỳ chọn {name!r} không nhận giá trị.",
    "Aborted!": "Đã huỷ!",
    "default: {default}": "mặc định: {default}",
    "env var: {var}": "biến môi trường: {var}",
    "{value!r} is not a valid {number_type}.": "{value!r} không phải là {number_type} hợp lệ.",
    "integer": "số nguyên",
    "float": "số thực",
    "{value} is not in the range {range}.": "{value} không hợp lệ: cần một số {range}.",
    # click capitalises {name} with str.title() ("Đường Dẫn"): the sentences do without it
    "{name} {filename!r} does not exist.": "Không tìm thấy {filename!r}.",
    "{name} {filename!r} is a directory.": "{filename!r} là một thư mục, cần một tệp.",
    "{name} {filename!r} is a file.": "{filename!r} là một tệp, cần một thư mục.",
    "{name} {filename!r} is not readable.": "Không đọc được {filename!r}.",
    "{name} {filename!r} is not writable.": "Không ghi được vào {filename!r}.",
    "file": "tệp",
    "directory": "thư mục",
    "path": "đường dẫn",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    "Could not open file {filename!r}: {message}": "Không mở được tệp {filename!r}: {message}",
}

VI_PLURAL = {
    "Got unexpected extra argument ({args})": "Thừa tham số ({args})",
    "Option {name!r} requires an argument.": "Tuỳ chọn {name!r} cần một giá trị.",
    "Option {name!r} requires {nargs} arguments.": "Tuỳ chọn {name!r} cần {nargs} giá trị.",
    "{value!r} is not {choice}.": "{value!r} không phải là {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} không thuộc {choices}.",
    "Did you mean {possibility}?": "Có phải ý bạn là {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Có phải ý bạn là một trong: {possibilities}?)",
    "{value!r} does not match the format {format}.": "{value!r} không đúng định dạng {format}.",
    "{value!r} does not match the formats {formats}.": "{value!r} không đúng các định dạng {formats}.",
}


def _gettext(message: str) -> str:
    return VI.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    # Vietnamese nouns do not inflect for number: one translation serves both.
    return VI_PLURAL.get(singular, singular if n == 1 else plural)


def _describe_range(self) -> str:
    """ "từ 1 đến 64" where click writes "1<=x<=64"."""
    low, high = self.min, self.max
    if low is not None and high is not None:
        return f"từ {low} đến {high}"
    if low is not None:
        return f"từ {low} trở lên"
    return f"không quá {high}"


def install() -> None:
    import click.types

    click.types._NumberRangeBase._describe_range = _describe_range  # type: ignore[method-assign]
    for name in ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui"):
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # pragma: no cover - click reorganised its modules
            continue
        if hasattr(module, "_"):
            setattr(module, "_", _gettext)  # noqa: B010 - click's module-level gettext alias
        if hasattr(module, "ngettext"):
            setattr(module, "ngettext", _ngettext)  # noqa: B010
