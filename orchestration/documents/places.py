"""Find places (cities, provinces, clusters, sub-regions, macro regions) in Chinese text.

An Aho–Corasick automaton over every name and alias finds candidates in one pass (leftmost-longest,
so 长江三角洲城市群 wins over 长江三角洲 and 长沙市 over 长沙). A two-character short name followed by
another Chinese character may be part of a longer word (南昌路, 天门山): one followed by 路, 街, 巷, 大道,
山 or 湖 names a street, mountain or lake and is dropped; the other hits are checked with jieba, whose
user dictionary holds every place name, and kept when jieba cuts the name as a word of its own. jieba
runs at about 1 MB/s, so it sees only these few windows, not whole documents.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from orchestration.documents.cleaning import CJK

_SUFFIX = re.compile(r"(壮族|回族|维吾尔)?(自治区|特别行政区)$|(市|省|地区|盟|林区)$")
# Characters after a short name that cannot start a longer word with it.
_SAFE_FOLLOWERS = set('市省的、，,。；;：:和与及等在是为有将从到对向以也都已正等（(“”"）)0123456789')
_CJK_CHAR = re.compile(f"[{CJK}]")
# A short name then one of these makes a street, mountain or lake of that name (南昌路, 天门山, 南京街),
# not the city, whatever jieba cuts: 路 街 巷 大道 山 湖, but not 山东, 山西, 湖北, 湖南 (the provinces).
_PROPER_NOUN_AFTER = re.compile(r"(?:路|街|巷|大道|山(?![东西])|湖(?![北南]))")
# names of a gazetteer -> (jieba tokenizer, its decisions: (window, offset, length) -> keeps)
_JIEBA: dict[tuple[str, ...], tuple[object, dict]] = {}
_MAX_TOKENIZERS = 2
_MAX_DECISIONS = 200_000
# the seeds the gazetteer reads
GAZETTEER_SEEDS = ("cluster_members", "regions", "place_aliases")


@dataclass(frozen=True)
class Place:
    name: str  # the spelling searched for
    entity_type: str  # city | province | nation | cluster | sub_region | region
    entity_code: str  # 6-digit code, cluster_id or region key
    canonical_name: str
    cluster_id: str | None = None


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    place: Place


def short_name(name: str) -> str:
    return _SUFFIX.sub("", name)


class Gazetteer:
    def __init__(self, places: Iterable[Place]):
        by_name: dict[str, Place] = {}
        for place in places:
            # a full name wins over a derived short name that happens to be the same spelling
            if place.name not in by_name or place.name == place.canonical_name:
                by_name[place.name] = place
        self.by_name = by_name
        self.names = sorted(by_name)
        self.name_set = frozenset(by_name)
        # per automaton index: the place, and whether a hit needs the look at what follows it
        self._entries = [(by_name[name], len(name) == 2) for name in self.names]

    @cached_property
    def _automaton(self):
        import ahocorasick_rs

        return ahocorasick_rs.AhoCorasick(self.names, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)

    @property
    def _tokenizer(self):
        return self._jieba[0]

    @cached_property
    def _jieba(self) -> tuple[object, dict]:
        """(jieba tokenizer with every name in its dictionary, its decisions so far): loading jieba's
        dictionary takes most of a second, so gazetteers of the same names share one per process (and a
        forked worker inherits it)."""
        key = tuple(self.names)
        if key not in _JIEBA:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            for name in self.names:
                tokenizer.add_word(name, freq=100_000, tag="ns")
            tokenizer.check_initialized()
            while len(_JIEBA) >= _MAX_TOKENIZERS:
                del _JIEBA[next(iter(_JIEBA))]
            _JIEBA[key] = (tokenizer, {})
        return _JIEBA[key]

    def load(self) -> Gazetteer:
        """Build the automaton and load jieba now (before forking workers that share them)."""
        self._automaton  # noqa: B018
        self._jieba  # noqa: B018
        return self

    def find(self, text: str) -> list[Mention]:
        return [Mention(*span) for span in self.spans(text)]

    def spans(self, text: str) -> list[tuple[int, int, Place]]:
        """``find`` as (start, end, place) tuples."""
        mentions = []
        entries = self._entries
        for index, start, end in self._automaton.find_matches_as_indexes(text):
            place, short = entries[index]
            if short:
                # a two-character name stands alone before the end, a safe follower or a character
                # that is not Chinese; otherwise jieba decides from the few characters around it (the
                # same window recurs across repeated paragraphs and documents, so each is cut once)
                following = text[end : end + 1]
                if following and following not in _SAFE_FOLLOWERS and _CJK_CHAR.match(following):
                    if _PROPER_NOUN_AFTER.match(text, end):
                        continue
                    before = max(0, start - 2)
                    if not self._cut_keeps(text[before : end + 3], start - before, end - start):
                        continue
            mentions.append((start, end, place))
        return mentions

    def _cut_keeps(self, window: str, offset: int, length: int) -> bool:
        """Whether jieba cuts ``window[offset:offset + length]`` as a word of its own."""
        tokenizer, decisions = self._jieba
        key = (window, offset, length)
        keeps = decisions.get(key)
        if keeps is None:
            keeps = False
            position = 0
            for token in tokenizer.cut(window, HMM=False):
                if position == offset:
                    keeps = len(token) == length
                    break
                position += len(token)
                if position > offset:
                    break
            if len(decisions) >= _MAX_DECISIONS:
                decisions.clear()
            decisions[key] = keeps
        return keeps


def gazetteer_sha256(seeds_dir: Path, admin_divisions: Iterable[dict] = ()) -> str:
    """A hash of what load_gazetteer builds the gazetteer from: its seeds and the divisions' rows."""
    digest = hashlib.sha256()
    for name in GAZETTEER_SEEDS:
        digest.update((seeds_dir / f"{name}.csv").read_bytes())
    divisions = sorted([d.get(k) or "" for k in ("level", "code", "name", "city_name")] for d in admin_divisions)
    digest.update(json.dumps(divisions, ensure_ascii=False).encode())
    return digest.hexdigest()


def load_gazetteer(seeds_dir: Path, admin_divisions: Iterable[dict] = ()) -> Gazetteer:
    """Places from the dbt seeds (cluster members, provinces, cluster and region aliases) and, when a
    raw root carries them, the NBS city-level divisions."""

    def rows(name: str) -> list[dict]:
        with open(seeds_dir / f"{name}.csv", encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))

    members = {row["city_code"]: row for row in rows("cluster_members")}
    places: list[Place] = []
    cities = {code: row["city_name_zh"] for code, row in members.items()}
    for division in admin_divisions:
        if division["level"] in ("city", "area") and division["code"] not in cities:
            placeholder = division["name"] in ("市辖区", "县") or "直辖县级" in division["name"]
            under_placeholder = division["level"] == "area" and "直辖县级" in (division.get("city_name") or "")
            if (division["level"] == "city" and not placeholder) or under_placeholder:
                cities[division["code"]] = division["name"]
    for code, name in cities.items():
        cluster = members.get(code, {}).get("cluster_id") or None
        for spelling in {name, short_name(name)}:
            places.append(Place(spelling, "city", code, name, cluster))
    for row in rows("regions"):
        level = "nation" if row["region_level"] == "nation" else "province"
        for spelling in {row["region_name_zh"], short_name(row["region_name_zh"])}:
            if level == "province" and row["region_code"] in cities:
                continue  # 上海 and 重庆 are read as the city; they are the same unit
            places.append(Place(spelling, level, row["region_code"], row["region_name_zh"]))
    for row in rows("place_aliases"):
        places.append(
            Place(row["alias"], row["entity_type"], row["entity_code"], row["alias"], row["cluster_id"] or None)
        )
    return Gazetteer(p for p in places if len(p.name) >= 2)
