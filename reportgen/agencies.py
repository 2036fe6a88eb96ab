"""The agencies of a province and the resolver that finds them in free text.

Agency cells in the plans name several agencies and groups in one string, with
commas both between agencies and inside group names ("Các sở, ban, ngành"),
spelling variants (hoá/hóa, uỷ/ủy) and typos ("Bru điện tỉnh"). The resolver
matches known names and aliases word by word, longest first, on a folded key
(:func:`reportgen.text.fold_words`), falls back to fuzzy matching for what is
left, and reports whatever it still cannot place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from .errors import ConfigError
from .text import clean, fold_words, is_code

__all__ = ["Agency", "Group", "Registry", "Resolution", "MONITOR"]

MONITOR = "monitor"
"""``reported_by`` value meaning: the indicator's monitoring agency reports for them."""

# Words that may sit between names and mean nothing on their own.
_FILLER = {"va", "cac", "cua", "voi", "phoi", "hop", "cung"}
FUZZY_THRESHOLD = 85.0


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    province: str
    aliases: tuple[str, ...] = ()
    email: str = ""
    short: str = ""
    reports: bool = True
    reported_by: str = MONITOR
    kind: str = ""
    other_emails: tuple[str, ...] = ()  # addresses the agency also sends its reports from (a Gmail…)

    @property
    def is_group(self) -> bool:
        return False

    @property
    def senders(self) -> tuple[str, ...]:
        """Every address a report of this agency may come from, lower case."""
        return tuple(a.lower() for a in (self.email, *self.other_emails) if a)


@dataclass(frozen=True)
class Group:
    code: str
    name: str
    province: str
    aliases: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    reported_by: str = MONITOR

    @property
    def is_group(self) -> bool:
        return True

    @property
    def reports(self) -> bool:
        return bool(self.members)


@dataclass
class Resolution:
    """What an agency cell names.

    ``mentions`` are the agencies and groups found, in order; ``fuzzy`` lists
    (text, code, score) accepted despite a typo; ``leftover`` is text that
    matched nothing, and ``near`` its closest known names (codes), as a hint.
    """

    text: str
    mentions: list[str] = field(default_factory=list)
    fuzzy: list[tuple[str, str, float]] = field(default_factory=list)
    leftover: list[str] = field(default_factory=list)
    near: dict[str, list[str]] = field(default_factory=dict)


class Registry:
    """All agencies and groups of one workspace, by code."""

    def __init__(self, entries: dict[str, Agency | Group], home: str, provinces: dict[str, str]):
        self.entries = entries
        self.home = home
        self.provinces = provinces
        self._indexes: dict[str, dict[tuple[str, ...], str]] = {}
        self._expanded: dict[str, tuple[list[str], bool]] = {}

    # -- loading -----------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict, source: str = "agencies.yaml") -> Registry:
        if not isinstance(data, dict):
            raise ConfigError("not-a-mapping", file=source)
        home = clean(data.get("province", ""))
        provinces = {clean(k): clean(v) for k, v in (data.get("provinces") or {}).items()}
        entries: dict[str, Agency | Group] = {}
        for raw in data.get("agencies") or []:
            entry = _agency_from(raw, home, source)
            _add(entries, entry, source)
        for raw in data.get("groups") or []:
            _add(entries, _group_from(raw, home, source), source)
        registry = cls(entries, home, provinces)
        registry._check_references(source)
        return registry

    def _check_references(self, source: str) -> None:
        for entry in self.entries.values():
            refs = list(getattr(entry, "members", ()))
            if entry.reported_by != MONITOR:
                refs.append(entry.reported_by)
            for ref in refs:
                if ref not in self.entries:
                    raise ConfigError("unknown-member", file=source, code=entry.code, member=ref)

    # -- lookups -----------------------------------------------------------------
    def __contains__(self, code: str) -> bool:
        return code in self.entries

    def __getitem__(self, code: str) -> Agency | Group:
        return self.entries[code]

    def get(self, code: str) -> Agency | Group | None:
        return self.entries.get(code)

    def by_sender(self) -> dict[str, str]:
        """Every registered sending address -> the agency's code."""
        return {a: e.code for e in self.entries.values() if isinstance(e, Agency) for a in e.senders}

    def agencies(self, province: str | None = None) -> list[Agency]:
        province = province or self.home
        return [e for e in self.entries.values() if isinstance(e, Agency) and e.province == province]

    def operators(self, province: str | None = None) -> list[str]:
        """The telecom operators of a province (agencies of kind ``vien-thong``)."""
        return [a.code for a in self.agencies(province) if a.kind == "vien-thong" and a.reports]

    def name(self, code: str) -> str:
        entry = self.entries.get(code)
        return entry.name if entry else code

    def expand(self, code: str) -> tuple[list[str], bool]:
        """The reporting agencies behind a code, and whether someone else reports for it.

        Returns (agency codes, needs_stand_in). ``needs_stand_in`` is True when the
        code (or part of a group) cannot report and its ``reported_by`` is the monitor.
        """
        if code not in self._expanded:
            out: dict[str, None] = {}
            needs = self._expand_into(code, out, frozenset())
            self._expanded[code] = (list(out), needs)
        codes, needs = self._expanded[code]
        return list(codes), needs

    def _expand_into(self, code: str, out: dict[str, None], seen: frozenset) -> bool:
        if code in seen:
            return False
        entry = self.entries[code]
        seen = seen | {code}
        if isinstance(entry, Agency) and entry.reports:
            out[code] = None
            return False
        if isinstance(entry, Group) and entry.members:
            needs = False
            for member in entry.members:
                needs = self._expand_into(member, out, seen) or needs
            return needs
        if entry.reported_by == MONITOR:
            return True
        return self._expand_into(entry.reported_by, out, seen)

    # -- resolving free text -----------------------------------------------------
    def _index(self, province: str) -> dict[tuple[str, ...], str]:
        if province not in self._indexes:
            index: dict[tuple[str, ...], str] = {}
            for entry in self.entries.values():
                if entry.province != province:
                    continue
                for name in (entry.name, *entry.aliases):
                    key = tuple(fold_words(name))
                    if key:
                        index.setdefault(key, entry.code)
            self._indexes[province] = index
        return self._indexes[province]

    def resolve(self, text: str, province: str | None = None) -> Resolution:
        """Find the agencies and groups named in ``text``.

        >>> reg = Registry.from_dict({"province": "p", "agencies": [
        ...     {"code": "yt", "name": "Sở Y tế"}, {"code": "bd", "name": "Bưu điện tỉnh"}],
        ...     "groups": [{"code": "sbn", "name": "Các sở, ban, ngành", "members": ["yt"]}]})
        >>> r = reg.resolve("Các sở, ban, ngành; Bru điện tỉnh và Sở Y Tế")
        >>> r.mentions, [f[1] for f in r.fuzzy], r.leftover
        (['sbn', 'bd', 'yt'], ['bd'], [])
        """
        province = province or self.home
        index = self._index(province)
        longest = max((len(k) for k in index), default=0)
        words = fold_words(text)
        shown = _as_written(clean(text), words)
        result = Resolution(text=clean(text))
        pending: list[int] = []  # positions of words matched by nothing yet, in text order
        i = 0
        while i < len(words):
            for size in range(min(longest, len(words) - i), 0, -1):
                code = index.get(tuple(words[i : i + size]))
                if code:
                    self._place_leftover(pending, words, shown, index, result)
                    pending = []
                    if code not in result.mentions:
                        result.mentions.append(code)
                    i += size
                    break
            else:
                pending.append(i)
                i += 1
        self._place_leftover(pending, words, shown, index, result)
        return result

    def _place_leftover(
        self, chunk: list[int], words: list[str], shown: list[str], index: dict, result: Resolution
    ) -> None:
        while chunk and words[chunk[0]] in _FILLER:
            chunk = chunk[1:]
        while chunk and words[chunk[-1]] in _FILLER:
            chunk = chunk[:-1]
        if not chunk:
            return
        folded = [words[i] for i in chunk]
        phrase = " ".join(folded)
        written = " ".join(shown[i] for i in chunk)  # as the plan writes it, for the review note
        choices = {" ".join(k): v for k, v in index.items()}
        best = process.extract(phrase, list(choices), scorer=fuzz.ratio, limit=3)
        if best and best[0][1] >= FUZZY_THRESHOLD and _typo_of(folded, best[0][0].split()):
            code = choices[best[0][0]]
            result.fuzzy.append((written, code, round(best[0][1], 1)))
            if code not in result.mentions:
                result.mentions.append(code)
        else:
            result.leftover.append(written)
            result.near[written] = list(dict.fromkeys(choices[name] for name, score, _ in best if score >= 60))


def _as_written(text: str, words: list[str]) -> list[str]:
    """The words of ``text`` as written, one for each folded word (the folded ones if they do not line up).

    >>> _as_written("Sở Ngoại vụ", ["so", "ngoai", "vu"])
    ['Sở', 'Ngoại', 'vụ']
    """
    written = re.findall(r"[^\W_]+", text)
    if [fold_words(w) for w in written] == [[w] for w in words]:
        return written
    return words


def _typo_of(words: list[str], known: list[str]) -> bool:
    """Whether ``words`` are ``known`` with a typo, not another agency: the same words but for one
    letter in a word or two, and the same numbers ("khu vực 5" is not "khu vực 7", "Ngoại vụ" not "Nội vụ").

    >>> _typo_of("bru dien tinh".split(), "buu dien tinh".split())
    True
    >>> _typo_of("so ngoai vu".split(), "so noi vu".split()), _typo_of("khu vuc 5".split(), "khu vuc 7".split())
    (False, False)
    >>> _typo_of("ubnd tinh".split(), "vp ubnd tinh".split())
    False
    """
    if len(words) != len(known):
        return False
    differing = [(a, b) for a, b in zip(words, known, strict=True) if a != b]
    return len(differing) <= 2 and all(
        not a.isdigit() and not b.isdigit() and min(len(a), len(b)) >= 3 and Levenshtein.distance(a, b) <= 1
        for a, b in differing
    )


def _add(entries: dict, entry: Agency | Group, source: str) -> None:
    if not is_code(entry.code):  # it names files and folders: "../x" must never get that far
        raise ConfigError("bad-code", file=source, code=entry.code, name=entry.name)
    if entry.code in entries:
        raise ConfigError("duplicate-code", file=source, code=entry.code)
    entries[entry.code] = entry


def _require(raw: dict, key: str, source: str) -> str:
    if not isinstance(raw, dict) or not clean(raw.get(key, "")):
        raise ConfigError("missing-field", file=source, field=key, entry=raw)
    return clean(raw[key])


def _aliases(raw: dict) -> tuple[str, ...]:
    return tuple(clean(a) for a in raw.get("aliases") or [] if clean(a))


def _agency_from(raw: dict, home: str, source: str) -> Agency:
    return Agency(
        code=_require(raw, "code", source),
        name=_require(raw, "name", source),
        province=clean(raw.get("province", home)),
        aliases=_aliases(raw),
        email=clean(raw.get("email", "")),
        short=clean(raw.get("short", "")),
        reports=bool(raw.get("reports", True)),
        reported_by=clean(raw.get("reported_by", MONITOR)),
        kind=clean(raw.get("kind", "")),
        other_emails=_addresses(raw.get("other_emails"), source, raw),
    )


def _addresses(raw, source: str, entry: dict) -> tuple[str, ...]:
    """``other_emails``: one address or a list of them."""
    if raw in (None, ""):
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(a, str) and "@" in a for a in items):
        raise ConfigError(
            "bad-value",
            file=source,
            field=f"other_emails ({entry.get('code', '?')})",
            value=raw,
            line="?",
            hint="cần một địa chỉ thư hoặc danh sách địa chỉ, ví dụ [so-y-te.ninhbinh@gmail.com].",
        )
    return tuple(clean(a).lower() for a in items)


def _group_from(raw: dict, home: str, source: str) -> Group:
    return Group(
        code=_require(raw, "code", source),
        name=_require(raw, "name", source),
        province=clean(raw.get("province", home)),
        aliases=_aliases(raw),
        members=tuple(clean(m) for m in raw.get("members") or []),
        reported_by=clean(raw.get("reported_by", MONITOR)),
    )
