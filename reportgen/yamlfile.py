"""Reading the YAML files an office edits in Notepad: config/settings.yaml, agencies.yaml, plans.

- **Encodings.** Notepad saves UTF-8 (with or without a BOM), "Unicode" (UTF-16 with a BOM)
  or "ANSI" (the Windows code page, cp1258 on Vietnamese Windows). The first three are
  read; ANSI cannot be told apart from other legacy encodings with certainty, so it is
  refused with a message that names the file and says how to save it.
- **Values mean what the user wrote.** YAML 1.1 reads ``14:00`` as the number 840 (base
  60), ``0229`` as an octal number and ``no`` as false. :class:`OfficeLoader` keeps the
  safe loader but resolves only decimal integers without leading zeros, plain decimals
  and ``true``/``false``: everything else stays the text the user typed.
- **Errors** name the file, the line and the column, in Vietnamese.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

__all__ = ["OfficeLoader", "read_yaml", "decode"]

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"


class OfficeLoader(_Base):  # type: ignore[misc,valid-type]
    """The safe loader without YAML 1.1's sexagesimal numbers, octal and yes/no/on/off booleans."""


OfficeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
OfficeLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
OfficeLoader.add_implicit_resolver(_INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))
OfficeLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)

# The parser's problems an office meets most, as a clerk would say them.
_PROBLEMS = {
    "mapping values are not allowed here": 'có dấu ":" không đúng chỗ (giá trị có dấu ":" cần đặt trong ngoặc kép)',
    "could not find expected ':'": 'thiếu dấu ":" sau tên trường',
    "found character '\\t' that cannot start any token": "có ký tự Tab: thay bằng dấu cách",
    "found undefined alias": "có dấu * ở đầu giá trị: đặt giá trị trong ngoặc kép",
    "expected <block end>, but found '-'": "dòng gạch đầu dòng lệch lề so với các dòng trên",
    "did not find expected key": "lệch lề: các trường cùng cấp phải thẳng hàng",
    "found unexpected end of stream": "thiếu dấu ngoặc kép đóng",
    "found duplicate anchor": "có dấu & ở đầu giá trị: đặt giá trị trong ngoặc kép",
    "did not find expected ',' or ']'": 'thiếu dấu "]" đóng danh sách, hoặc dấu phẩy giữa các mục',
    "did not find expected ',' or '}'": 'thiếu dấu "}" đóng, hoặc dấu phẩy giữa các mục',
    "found unexpected ':'": 'có dấu ":" không đúng chỗ (đặt giá trị trong ngoặc kép)',
    "expected alphabetic or numeric character, but found ' '": 'có dấu cách ngay sau "*" hoặc "&"',
    "found unknown escape character": 'có dấu "\\" trong ngoặc kép: dùng ngoặc đơn cho đường dẫn Windows',
}


def decode(data: bytes, path: Path) -> str:
    """The text of a file saved as UTF-8 (BOM or not) or UTF-16 (with BOM)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError("encoding", file=str(path), line=line) from exc


def read_yaml(path: Path) -> Any:
    """The content of a YAML file, read as the office wrote it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError("missing-file", file=str(path)) from exc
    text = decode(data, path)
    try:
        return yaml.load(text, Loader=OfficeLoader)  # noqa: S506 - a safe loader with fewer implicit types
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = str(getattr(exc, "problem", None) or exc)
        raise ConfigError(
            "yaml",
            file=str(path),
            line=(mark.line + 1) if mark else "?",
            column=(mark.column + 1) if mark else "?",
            problem=_PROBLEMS.get(problem, f"lỗi cú pháp ({problem})"),
        ) from exc
