"""Clean raw Chinese documents (news, speeches, scraped pages) into ordered paragraphs with metadata.

The steps, in order, each counted so nothing is lost silently:

1. decode (``textio.decode``) and, for HTML, keep the text of the page's body blocks;
2. normalise: full-width digits and letters to half-width, non-breaking and ideographic spaces to
   spaces, half-width , ; : ? ! beside Chinese characters to their full-width forms. Chinese
   punctuation is kept as it is;
3. drop web boilerplate (breadcrumbs, click counters, navigation) and split a title glued to its
   page time;
4. drop repeated lines, keeping the first;
5. re-join a sentence broken across lines;
6. drop a paragraph whose whole text already stands inside an earlier one (a repeat cut short, or a
   repeat of two lines that an earlier copy had as one);
7. flag a document whose last line stops mid-sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser

CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
TERMINAL = "。！？!?…；;”」』）)]】》"
_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF5B) if chr(c - 0xFEE0).isalnum()}
_SPACES = {0x00A0: " ", 0x3000: " ", 0x2002: " ", 0x2003: " ", 0x200B: ""}
_NUMBER_SIGNS = {0xFF05: "%", 0xFF0B: "+", 0xFF0D: "-", 0x2212: "-"}  # ％ ＋ － − are parts of numbers
_NORMALISE = {**_FULLWIDTH_ALNUM, **_SPACES, **_NUMBER_SIGNS}
# str.translate looks every character of a non-ASCII text up in the table; a character class finds the
# few that change much faster, and the same table replaces them
_NORMALISE_TO = {chr(c): chr(t) if isinstance(t, int) else t for c, t in _NORMALISE.items()}
_NORMALISED_CHAR = re.compile("[" + "".join(re.escape(c) for c in sorted(_NORMALISE_TO)) + "]")
# Each pattern starts with the character it replaces (the look-behind follows it), so the regex engine
# jumps from candidate to candidate instead of trying the look-behind at every position.
_FULLWIDTH_DECIMAL = re.compile(r"．(?<=\d．)(?=\d)")
_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_ASCII_PUNCT_BY_CJK = re.compile(rf"[,;:?!](?:(?<=[{CJK}][,;:?!])|(?=[{CJK}“”]))")
_ASCII_STOP_AFTER_CJK = re.compile(rf"\.(?<=[{CJK}”」）)]\.)(?=[{CJK}“「（(\s]|$)", re.MULTILINE)
_SPACE_RUN = re.compile(r"[ \t]{2,}")
_TERMINALS = tuple(TERMINAL)

BOILERPLATE = [
    ("breadcrumb", re.compile(r"^(首页|主页|当前位置[:：]?)\s*[>›»/]")),
    ("click_counter", re.compile(r"^(点击数|点击量|浏览次数|阅读量)[:：]?\s*\d*$")),
    ("navigation", re.compile(r"^(上一篇|下一篇|返回顶部|返回首页|打印本页|关闭窗口|分享到|【打印】|【关闭】)")),
    ("footer", re.compile(r"(版权所有|Copyright|©|ICP备)", re.IGNORECASE)),
    ("editor", re.compile(r"^[（(]?责任编辑[:：]")),
    ("source_line", re.compile(r"^(来源|稿源|出处)[:：]\s*\S+")),
    ("author_line", re.compile(r"^(本文作者|作者|文)[:：]\s*\S+")),
]
# The same tests, faster: every pattern but the footer is anchored at the start, so ``match`` is its
# ``search``, and one alternation of them all tells whether any can match; the footer can only match a
# line with one of these characters (no other character folds to y or Y under IGNORECASE, and the
# Chinese ones and © have no case).
_FOOTER_HINT = re.compile("[版©备yY]")
_ANCHORED_BOILERPLATE = re.compile("|".join(f"(?:{p.pattern})" for kind, p in BOILERPLATE if kind != "footer"))
_BOILERPLATE_TESTS = [
    (kind, pattern.search if kind == "footer" else pattern.match, kind == "footer") for kind, pattern in BOILERPLATE
]
_TRAILING_COUNTER = re.compile(r"\s*(点击数|点击量|浏览次数)[:：]?\s*\d*\s*$")
_GLUED_TIME = re.compile(
    r"^(?P<title>.+?)\s*(?:发布时间|发布日期|时间|日期)[:：]\s*"
    r"(?P<ts>\d{4}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)\s*$"
)
_HEADING = re.compile(
    r"^([一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|第[一二三四五六七八九十]+[章节部分]|#{1,6}\s|[-*+]\s|\||>)"
)
MIN_CONTAINED_REPEAT = 8
INDEXED_FROM = 500  # paragraphs: fewer are each searched for in every earlier one
_CLAUSE_PUNCT = re.compile(r"[，、；：]")


@dataclass
class CleanedText:
    paragraphs: list[str]
    nonempty_lines: int
    distinct_lines: int
    repeated_dropped: int
    rejoined: int
    truncated: bool
    boilerplate: list[tuple[str, str]] = field(default_factory=list)
    glued_title: str | None = None
    page_time: datetime | None = None
    html_title: str | None = None


MAX_HTML_DEPTH = 1000  # elements open at once; pages people publish nest a few dozen deep


class HTMLTooDeep(ValueError):
    """A page nesting its elements deeper than MAX_HTML_DEPTH: the message is the quarantine reason."""


class _HTMLText(HTMLParser):
    """Text of an HTML page, one line per block; skips script, style, nav, header and footer."""

    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "title"}
    SKIPPED = {"script", "style", "nav", "header", "footer", "noscript", "aside"}
    SKIPPED_CLASS = re.compile(r"nav|menu|header|footer|sidebar|share|copyright", re.IGNORECASE)
    VOID = {"br", "img", "meta", "link", "input", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[bool] = []  # per open element: does it hide its text?
        self.in_title = False
        self.title: str | None = None
        self.chrome: list[str] = []  # text of skipped navigation, header and footer elements

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            labels = " ".join(v or "" for k, v in attrs if k in ("class", "id"))
            self.open.append(tag in self.SKIPPED or bool(self.SKIPPED_CLASS.search(labels)))
            if len(self.open) > MAX_HTML_DEPTH:
                raise HTMLTooDeep(f"HTML nested more than {MAX_HTML_DEPTH:,} elements deep (at <{tag}>)")
        self.in_title = tag == "title"
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.open:
            self.open.pop()
        if tag == "title":
            self.in_title = False
        if tag in self.BLOCKS:
            self.parts.append("\n")

    @property
    def skipping(self) -> bool:
        return any(self.open)

    def handle_data(self, data):
        if self.in_title:
            self.title = (self.title or "") + data.strip()
        elif not self.skipping:
            self.parts.append(data)
        elif data.strip():
            self.chrome.append(data.strip())


def html_to_text(html: str) -> tuple[str, str | None, list[str]]:
    """(text, <title>, text of the skipped page chrome)."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts), parser.title, parser.chrome


def normalise(text: str) -> str:
    """Full-width alphanumerics to half-width, odd spaces to spaces, ASCII , ; : ? ! beside Chinese to
    full-width; Chinese punctuation untouched."""
    text = _NORMALISED_CHAR.sub(_normalised, text)
    if "．" in text:
        text = _FULLWIDTH_DECIMAL.sub(".", text)
    text = _ASCII_PUNCT_BY_CJK.sub(_full_width, text)
    if "." in text:
        text = _ASCII_STOP_AFTER_CJK.sub("。", text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _normalised(match: re.Match) -> str:
    return _NORMALISE_TO[match.group()]


def _full_width(match: re.Match) -> str:
    return _HALF_TO_FULL[match.group()]


def ends_sentence(line: str) -> bool:
    return line.endswith(_TERMINALS)


def clean_text(text: str, html: bool = False, title: str | None = None) -> CleanedText:
    """The paragraphs of a document's text (HTML with ``html``) and what cleaning removed or found.
    ``title`` is a line known to be the page title (a title once glued to its timestamp): nothing is
    joined onto it, so that cleaning its own output, given the title it found, changes nothing."""
    html_title, chrome = None, []
    if html:
        text, html_title, chrome = html_to_text(text)
    lines = [line.strip() for line in normalise(text).split("\n")]
    lines = [_SPACE_RUN.sub(" ", line) if "  " in line or "\t" in line else line for line in lines if line]
    nonempty = len(lines)

    kept, glued_title, page_time = [], None, None
    boilerplate = [("page_chrome", " / ".join(chrome))] if chrome else []
    for line in lines:
        if ("点击" in line or "浏览次数" in line) and (counter := _TRAILING_COUNTER.search(line)):
            boilerplate.append(("click_counter", counter.group().strip()))
            line = line[: counter.start()].strip()
            if not line:
                continue
        kind = _boilerplate_kind(line)
        if kind:
            boilerplate.append((kind, line))
            continue
        if page_time is None and ("时间" in line or "日期" in line) and (glued := _unglue(line)):
            glued_title, page_time = glued
            line = glued_title
        kept.append(line)

    distinct = list(dict.fromkeys(kept))
    joined, rejoined = _rejoin(distinct, title=glued_title or title)
    paragraphs = _without_contained(joined)
    return CleanedText(
        paragraphs=paragraphs,
        nonempty_lines=nonempty,
        distinct_lines=len(distinct),
        repeated_dropped=len(kept) - len(distinct) + len(joined) - len(paragraphs),
        rejoined=rejoined,
        truncated=bool(kept) and _looks_cut(kept[-1]),
        boilerplate=boilerplate,
        glued_title=glued_title,
        page_time=page_time,
        html_title=html_title,
    )


def _boilerplate_kind(line: str) -> str | None:
    """The first kind of ``BOILERPLATE`` whose pattern is found in the line."""
    if not _ANCHORED_BOILERPLATE.match(line) and not _FOOTER_HINT.search(line):
        return None
    for kind, test, is_footer in _BOILERPLATE_TESTS:
        if is_footer and not _FOOTER_HINT.search(line):
            continue
        if test(line):
            return kind
    return None


def _without_contained(joined: list[str], indexed_from: int = INDEXED_FROM) -> list[str]:
    """The paragraphs, less each one of at least MIN_CONTAINED_REPEAT characters that an earlier kept
    paragraph contains (a repeated block cut at other line ends). Past INDEXED_FROM paragraphs, only the
    earlier paragraphs holding the paragraph's rarest of three pieces (its start, middle and end) are
    searched: a document of 50,000 distinct lines takes a second, not the hours of searching every
    earlier paragraph for each (the index costs some 100 bytes a character, so documents are capped at
    MAX_DOCUMENT_BYTES)."""
    size = MIN_CONTAINED_REPEAT
    if len(joined) <= indexed_from:
        paragraphs: list[str] = []
        for paragraph in joined:
            if len(paragraph) < size or not any(paragraph in earlier for earlier in paragraphs):
                paragraphs.append(paragraph)
        return paragraphs
    holders: dict[str, list[int]] = {}  # piece of `size` characters -> kept paragraphs holding it
    paragraphs = []
    for paragraph in joined:
        if len(paragraph) >= size:
            middle = (len(paragraph) - size) // 2
            pieces = {paragraph[:size], paragraph[middle : middle + size], paragraph[-size:]}
            rarest = min((holders.get(piece, ()) for piece in pieces), key=len)
            if any(paragraph in paragraphs[i] for i in rarest):
                continue
        for start in range(len(paragraph) - size + 1):
            found = holders.setdefault(paragraph[start : start + size], [])
            if not found or found[-1] != len(paragraphs):
                found.append(len(paragraphs))
        paragraphs.append(paragraph)
    return paragraphs


def _rejoin(lines: list[str], title: str | None) -> tuple[list[str], int]:
    """Join a line that stops mid-sentence with the line after it (never onto the page title)."""
    out: list[str] = []
    joins = 0
    for line in lines:
        if out and out[-1] != title and _continues(out[-1], line):
            # the punctuation at the seam is normalised as if the line had never been broken (every rule
            # of ``normalise`` looks one character either side)
            previous = out[-1]
            joined = previous[:-2] + normalise(previous[-2:] + line[:2]) + line[2:]
            if not _line_rule_applies(joined):  # else cleaning the output again would remove or cut it
                out[-1] = joined
                joins += 1
                continue
        out.append(line)
    return out, joins


def _line_rule_applies(line: str) -> bool:
    """Whether a rule ``clean_text`` applies to each line (a click counter, boilerplate, a title glued to
    its time) would change this line."""
    return bool(
        (("点击" in line or "浏览次数" in line) and _TRAILING_COUNTER.search(line))
        or _boilerplate_kind(line)
        or (("时间" in line or "日期" in line) and _unglue(line))
    )


def _continues(previous: str, line: str) -> bool:
    # a heading, or a bracketed note such as "(2021年5月23日，由…)", starts a paragraph of its own
    if ends_sentence(previous) or _HEADING.match(line) or _HEADING.match(previous) or line.startswith(("(", "（")):
        return False
    # body text, not a title or byline: titles carry no commas (a short one may hold 、 or ：, not ， or ；)
    return bool(re.search("[，；]" if len(previous) < 30 else _CLAUSE_PUNCT, previous)) and not _is_byline(previous)


def _is_byline(line: str) -> bool:
    return bool(re.search(r"记者|电[)）]?$|通讯员|作者|来源", line)) and len(line) < 40


def _looks_cut(line: str) -> bool:
    return not ends_sentence(line) and not _is_byline(line) and bool(_CLAUSE_PUNCT.search(line))


def _parse_timestamp(text: str) -> datetime | None:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(re.sub(r"\s+", " ", text), fmt)
        except ValueError:
            continue
    return None  # not a day that exists (2020-13-45): no page time


def _unglue(line: str) -> tuple[str, datetime] | None:
    """(title, page time) of a title glued to its timestamp, or None. A title that ends in a timestamp
    again loses it too, so that cleaning its own output changes nothing."""
    glued = _GLUED_TIME.match(line)
    page_time = _parse_timestamp(glued.group("ts")) if glued else None
    if page_time is None:
        return None
    title = glued.group("title").strip()
    while (again := _GLUED_TIME.match(title)) and _parse_timestamp(again.group("ts")):
        title = again.group("title").strip()
    return title, page_time


# ---------------------------------------------------------------------------------------------
# Metadata


@dataclass
class DocumentDate:
    day: date
    precision: str  # day | month
    role: str  # publication | page_time | event
    how: str  # stated | inferred
    context: str
    suspect: str | None = None


@dataclass
class Metadata:
    title: str | None
    kind: str
    carrier: str
    outlet: str | None
    author: str | None
    dateline_place: str | None
    published: DocumentDate | None
    dates: list[DocumentDate]


_DATELINE = re.compile(
    rf"(?P<outlet>[{CJK}]{{2,8}}?)(?P<place>[{CJK}]{{2,4}}?)(?P<month>\d{{1,2}})月(?P<day>\d{{1,2}})日电"
)
_REPORTER = re.compile(rf"(?P<outlet>[{CJK}]{{2,8}}?)记者\s*(?P<name>[{CJK}]{{2,4}})(?![{CJK}])")
# How far before its "日电" / "记者" a match of these patterns can start (outlet, place, month, 月, day):
# a search from there finds what a search from the start finds, without trying every character before.
_DATELINE_REACH = 8 + 4 + 2 + 1 + 2
_REPORTER_REACH = 8
_AUTHOR_TITLE = re.compile(rf"^(?P<name>[{CJK}]{{2,4}})[:：](?P<title>.+)$")
_FULL_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})日)?")
_ISO_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")
_SPEECH = re.compile(r"讲话|致辞|发言|演讲|报告会")


def extract_metadata(
    cleaned: CleanedText, places: set[str], is_html: bool, figure_years: set[int] = frozenset()
) -> Metadata:
    paragraphs = cleaned.paragraphs
    body = "\n".join(paragraphs)
    dates = _mentioned_dates(paragraphs)
    title = cleaned.glued_title or cleaned.html_title or _headline(paragraphs)
    author = outlet = place = None
    if title and (named := _AUTHOR_TITLE.match(title)):
        author, title = named.group("name"), named.group("title").strip()
    if reporter := next(_matches_near(_REPORTER, body, "记者", _REPORTER_REACH), None):
        outlet, author = reporter.group("outlet"), author or reporter.group("name")
    for kind, line in cleaned.boilerplate:
        if kind in ("author_line", "source_line"):
            value = re.split(r"[:：]", line, maxsplit=1)[-1].strip()
            if kind == "author_line":
                author = author or value
            else:
                outlet = outlet or value
    published = None
    candidates = _matches_near(_DATELINE, body, "日电", _DATELINE_REACH)
    dateline = next((m for m in candidates if _split_place(m, places)), None)
    if dateline:
        outlet_text, place = _split_place(dateline, places)
        outlet = outlet or outlet_text
    if cleaned.page_time:
        page = DocumentDate(cleaned.page_time.date(), "day", "page_time", "stated", "page time")
        dates.append(page)
        published = DocumentDate(page.day, "day", "publication", "stated", "page time")
    elif dateline:
        published = _infer_year(
            int(dateline.group("month")), int(dateline.group("day")), dates, figure_years, dateline.group()
        )
    opening = _opening_event(paragraphs)
    for found in dates:
        if found.role == "event" and opening and found.context == opening:
            found.role = "occasion"
        if published and found.role in ("event", "occasion") and found.day > published.day:
            found.suspect = f"after the publication date {published.day.isoformat()}"
    carrier = "web_page" if is_html or cleaned.page_time or cleaned.boilerplate else "text"
    if any(_SPEECH.search(p) for p in paragraphs[:3]) or (title and _SPEECH.search(title)):
        kind = "speech"
    elif dateline or reporter:
        kind = "news"
    else:
        kind = "web_page" if carrier == "web_page" else "report"
    return Metadata(title, kind, carrier, outlet, author, place, published, dates)


def _matches_near(pattern: re.Pattern, text: str, needle: str, reach: int) -> Iterator[re.Match]:
    """The matches of ``pattern.finditer(text)``, for a pattern whose every match holds ``needle`` at
    most ``reach`` characters after its start and never matches empty: only the starts within
    ``reach`` before an occurrence of the needle are tried, in order, instead of every character."""
    tried = 0  # every start before this one has been tried
    occurrence = text.find(needle)
    while occurrence >= 0:
        start = max(tried, occurrence - reach)
        while start <= occurrence:
            if match := pattern.match(text, start):
                yield match
                start = match.end()
            else:
                start += 1
        tried = start
        occurrence = text.find(needle, occurrence + 1)


def _split_place(match: re.Match, places: set[str]) -> tuple[str, str] | None:
    """Split 'outlet+place' of a dateline at a known place name, e.g. 新华社|武汉."""
    text = match.group("outlet") + match.group("place")
    for cut in range(2, len(text) - 1):
        if text[cut:] in places:
            return text[:cut], text[cut:]
    return None


def _headline(paragraphs: list[str]) -> str | None:
    """The first short line that is not a kicker (short phrases split by spaces, 新时代 新气象 新作为) or a
    subtitle (——…)."""
    for line in paragraphs[:4]:
        line = re.sub(r"^#{1,6}\s+", "", line)
        kicker = " " in line and all(len(part) <= 4 for part in line.split())
        if len(line) <= 40 and not ends_sentence(line) and not kicker and not line.startswith("—"):
            return line
    return None


def _mentioned_dates(paragraphs: list[str]) -> list[DocumentDate]:
    found: list[DocumentDate] = []
    for paragraph in paragraphs:
        matches = list(_FULL_DATE.finditer(paragraph)) if "年" in paragraph else []
        if "-" in paragraph:
            matches += _ISO_DATE.finditer(paragraph)
        for match in matches:
            try:
                day = date(int(match["y"]), int(match["m"]), int(match["d"] or 1))
            except ValueError:
                continue
            found.append(DocumentDate(day, "day" if match["d"] else "month", "event", "stated", paragraph))
    return found


def _opening_event(paragraphs: list[str]) -> str | None:
    """An opening note in brackets that dates the occasion, e.g. '(2021年5月23日，由…主办的…)'."""
    for paragraph in paragraphs[:3]:
        if paragraph.startswith(("(", "（")) and _FULL_DATE.match(paragraph[1:]):
            return paragraph
    return None


def _infer_year(
    month: int, day: int, dates: list[DocumentDate], figure_years: set[int], context: str
) -> DocumentDate | None:
    """A dateline gives month and day; the year is the first one that puts it after every full date
    the text mentions (a report does not date events after itself). Without dated events, it is the
    year after the latest year the text gives figures for (full-year figures come out the year after)."""
    today = date.today()
    past_years = {y for y in figure_years if y < today.year}  # 预计2035年… is a forecast, not a report date
    if dates:
        latest = max(d.day for d in dates)
        year = latest.year if (month, day) >= (latest.month, latest.day) else latest.year + 1
    elif past_years:
        year = max(past_years) + 1
    else:
        return None
    try:
        inferred = date(year, month, day)
    except ValueError:  # a dateline's 2月30日, or 2月29日 in a year that has none: no date to infer
        return None
    # an inference that lands in the future is no inference
    return None if inferred > today else DocumentDate(inferred, "day", "publication", "inferred", context)
