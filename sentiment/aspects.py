"""What a mention praises or blames, per aspect: ``battery: negative, price: positive``.

>>> from sentiment.aspects import SEED_VOCABULARY, extract, lexicon_polarity
>>> extract(["Great screen, but the battery dies by noon."], SEED_VOCABULARY,
...         lexicon_polarity)[0]
(Aspect(name='screen', ...), Aspect(name='battery', polarity='negative', ...))

A text is cut into clauses (at sentence and clause punctuation, and before contrast words
such as "but" / 但是); an aspect is named by a surface form of the vocabulary found in a
clause (English words or Chinese, Simplified or Traditional, all mapped to one canonical
English name), and takes the polarity of that clause. Polarity comes from a function over
a batch of clauses: :func:`lexicon_polarity` (hand-written lexicon with negation) or
:func:`scorer_polarity` (the text sentiment model, one ``score_batch`` call per batch).

The seed vocabulary covers common product and service aspects; :func:`propose_terms` finds
a brand's own aspect terms from its texts (words next to evaluative words), and
:meth:`Vocabulary.with_terms` adds them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sentiment.result import Label

if TYPE_CHECKING:
    from sentiment.scorer import Scorer

__all__ = [
    "SEED_ASPECTS",
    "SEED_VOCABULARY",
    "Aspect",
    "Polarity",
    "Vocabulary",
    "clauses",
    "extract",
    "lexicon_polarity",
    "propose_terms",
    "scorer_polarity",
]

#: Labels for a batch of clauses, one per clause, in order.
Polarity = Callable[[list[str]], list[Label]]

# Simplified -> Traditional for the characters of the tables below, so each Chinese form is
# written once (OpenCC is a training-only extra; this is all the run time needs).
_TRADITIONAL = str.maketrans(
    "电续补换价钱质务应软件统图声颜设计显际连蓝线风摄头码团队态户发递运货杂实够满欢让"
    "热烫准时坏难烂问题费贵损赞烦坚稳动层针测试缓迟适购选钮开关键灵齿轮饰丽单边壳脑门"
    "诉辆厅诚约评级点体验萤荧讯错畅结给优谱惊艳细顺专业轻响饱顿闪机断后无语松紧黄没复"
    "变划虚标缩涨员镜处观装号对别较还伤着觉",
    "電續補換價錢質務應軟件統圖聲顏設計顯際連藍線風攝頭碼團隊態戶發遞運貨雜實夠滿歡讓"
    "熱燙準時壞難爛問題費貴損讚煩堅穩動層針測試緩遲適購選鈕開關鍵靈齒輪飾麗單邊殼腦門"
    "訴輛廳誠約評級點體驗螢熒訊錯暢結給優譜驚豔細順專業輕響飽頓閃機斷後無語鬆緊黃沒覆"
    "變劃虛標縮漲員鏡處觀裝號對別較還傷著覺"
)

#: Canonical aspect -> surface forms (English lowercase; Chinese in Simplified, the
#: Traditional forms are derived).
SEED_ASPECTS: dict[str, tuple[str, ...]] = {
    "battery": ("battery", "batteries", "battery life", "电池", "续航", "电量", "待机", "耗电"),
    "charging": ("charging", "charger", "charge", "charges", "charged", "fast charging",
                 "充电", "充电器", "快充", "充电头"),
    "price": ("price", "prices", "priced", "pricing", "cost", "costs", "value for money",
              "expensive", "overpriced", "pricey", "cheap", "affordable", "价格", "价钱",
              "价位", "性价比", "cp值", "定价", "贵", "便宜", "划算", "降价", "涨价"),
    "delivery": ("delivery", "shipping", "shipped", "arrived", "courier", "dispatch",
                 "物流", "快递", "发货", "出货", "寄送", "送货", "配送", "到货", "运费"),
    "support": ("customer service", "customer support", "support", "service", "refund",
                "refunds", "warranty", "staff", "客服", "售后", "服务", "退款", "保修", "店员"),
    "quality": ("quality", "build quality", "build", "material", "materials", "durable",
                "durability", "sturdy", "flimsy", "质量", "做工", "品质", "材质", "用料"),
    "screen": ("screen", "display", "touchscreen", "屏幕", "显示屏", "屏", "萤幕", "荧幕"),
    "camera": ("camera", "cameras", "photos", "pictures", "lens", "相机", "摄像头", "拍照",
               "像素", "镜头"),
    "sound": ("sound", "sound quality", "audio", "speaker", "speakers", "bass", "volume",
              "noise cancelling", "noise cancellation", "音质", "音效", "声音", "喇叭",
              "降噪", "低音", "音量"),
    "size": ("size", "sizing", "fit", "fits", "尺寸", "尺码", "大小", "合身"),
    "software": ("app", "apps", "software", "update", "updates", "firmware", "interface",
                 "bug", "bugs", "软件", "软体", "系统", "应用", "更新", "固件", "界面"),
    "performance": ("performance", "speed", "lag", "laggy", "processor", "性能", "速度",
                    "卡顿", "运行", "处理器"),
    "design": ("design", "look", "looks", "color", "colour", "weight", "外观", "设计",
               "颜色", "重量", "手感"),
    "packaging": ("packaging", "packed", "box", "包装"),
    "comfort": ("comfort", "comfortable", "uncomfortable", "舒适", "佩戴", "舒服"),
    "connectivity": ("bluetooth", "wifi", "wi-fi", "signal", "connection", "pairing",
                     "蓝牙", "蓝芽", "信号", "讯号", "连接", "配对"),
}

# --- the lexicon ---------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    """A word list written as running text."""
    return text.split()


_POSITIVE_EN = _words("""
good great excellent amazing awesome love loved loves lovely perfect perfectly fantastic
nice best better happy satisfied impressive impressed solid sturdy durable reliable fast
quick quickly smooth clear crisp bright sharp beautiful gorgeous comfortable responsive
helpful friendly polite prompt easy worth affordable cheap reasonable superb outstanding
brilliant decent recommend recommended excellent lasts long-lasting stunning vivid rich
incredible wonderful pleased works efficient generous bargain premium elegant sleek
improved accurate stable seamless painless courteous quiet
""")
_NEGATIVE_EN = _words("""
bad terrible awful horrible poor poorly worst worse hate hated disappointing disappointed
disappointment broken broke breaks useless slow slowly sluggish laggy lag lags buggy crash
crashes crashed crashing dies died dying drains drained draining dead dim blurry grainy
tinny muffled flimsy overpriced expensive pricey rude unhelpful late delayed lost damaged
missing noisy uncomfortable faulty defective fails failed failure fail problem problems
issue issues annoying weak waste stopped stuck freezes froze frozen unresponsive scratched
cracked leaks overheats overheating hot mediocre cheaply junk garbage scam ripoff rip-off
never unacceptable ignored complaint complain worn disconnects drops glitchy glitches
sucks awkward painful hurts heavy bulky short shorter crushed dented confusing
""")
_PHRASES_EN: dict[str, Label] = {
    "drains fast": "negative", "drains quickly": "negative", "dies fast": "negative",
    "dies quickly": "negative", "not worth": "negative", "too expensive": "negative",
    "too small": "negative", "too big": "negative", "too tight": "negative",
    "too loose": "negative", "too long": "negative", "too quiet": "negative",
    "too loud": "negative", "falls apart": "negative", "fell apart": "negative",
    "gave up": "negative", "no response": "negative", "never arrived": "negative",
    "took forever": "negative", "waste of money": "negative", "last all day": "positive",
    "lasts all day": "positive", "lasts for days": "positive", "on time": "positive",
    "well made": "positive", "well built": "positive", "good value": "positive",
    "great value": "positive", "worth every penny": "positive", "no complaints": "positive",
    "no issues": "positive", "no problems": "positive", "fits perfectly": "positive",
    "true to size": "positive", "runs small": "negative", "runs large": "negative",
}
_NEGATORS_EN = frozenset(_words(
    "not no never hardly barely without isn't wasn't aren't weren't don't doesn't didn't "
    "won't can't couldn't wouldn't shouldn't nothing neither nor"
))
_POSITIVE_ZH = _words("""
好 不错 很好 满意 喜欢 清晰 清楚 流畅 快 耐用 结实 值 值得 划算 便宜 实惠 舒服 舒适 漂亮
好看 好用 给力 完美 优秀 棒 赞 推荐 热情 耐心 及时 准时 强 持久 够用 稳定 精致 到位 靠谱
惊艳 细腻 顺畅 灵敏 周到 专业 轻巧 轻便 超值 好评 喜爱 满分 出色 神速 迅速 响亮 饱满 震撼
合适 直觉
""")
_NEGATIVE_ZH = _words("""
差 不好 不行 太差 垃圾 失望 慢 卡 卡顿 贵 偏贵 太贵 偏高 太高 坏 坏了 问题 毛病 不满意
糟糕 难用 难看 烂 模糊 发热 发烫 掉电快 耗电快 不耐用 敷衍 投诉 漏 破损 延迟 晚 吵 杂音
闪退 死机 断连 断开 差评 后悔 无语 坑 粗糙 松 紧 硌 疼 重 笨重 刺耳 失真 发黄 偏色 太慢
拖 拖延 不理 没人理 不回复 退货 退款 破 变形 划痕 太小 太大 偏小 偏大 不准 虚标 缩水
刮伤 着急
""")
_NEGATORS_ZH = ("没有", "不是", "不太", "不够", "不", "没", "无", "未", "别")
_INTENSIFIERS_ZH = "很太挺非常特别真超比较还也都是算"


def _with_traditional(forms: Iterable[str]) -> list[str]:
    out: list[str] = []
    for form in forms:
        out += [form] + ([t] if (t := form.translate(_TRADITIONAL)) != form else [])
    return out


def _has_han(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def _alternation(forms: Iterable[str]) -> str:
    """A regex alternative of `forms`, longest first so 'battery life' beats 'battery';
    English forms only match whole words, Chinese ones anywhere."""
    ordered = sorted(set(forms), key=lambda form: (-len(form), form))
    return "|".join(
        re.escape(form) if _has_han(form) else rf"(?<![\w-]){re.escape(form)}(?![\w-])"
        for form in ordered
    )


_LEXICON: dict[str, Label] = {
    **{w: "positive" for w in _with_traditional(_POSITIVE_EN + _POSITIVE_ZH)},
    **{w: "negative" for w in _with_traditional(_NEGATIVE_EN + _NEGATIVE_ZH)},
    **_PHRASES_EN,
}
_LEXICON_RE = re.compile(_alternation(_LEXICON), re.IGNORECASE)
_NEGATORS_ZH_ALL = tuple(_with_traditional(_NEGATORS_ZH))
_WORD = re.compile(r"[\w'-]+")


def _negated(clause: str, start: int) -> bool:
    """Whether a negator governs the evaluative word at `start`: an English one among the
    three words before it, a Chinese one right before it (past intensifiers: 不太好, 没那么)."""
    before = clause[:start]
    if _has_han(clause[start : start + 1]):
        stripped = before.rstrip(_INTENSIFIERS_ZH + "那么麼")
        return stripped.endswith(_NEGATORS_ZH_ALL)
    words = [w.lower().replace("\u2019", "'") for w in _WORD.findall(before)[-3:]]
    return any(w in _NEGATORS_EN or w.endswith("n't") for w in words)


_FLIPPED: dict[Label, Label] = {
    "positive": "negative", "negative": "positive", "neutral": "neutral"}


def _flip(label: Label) -> Label:
    return _FLIPPED[label]


def clause_polarity(clause: str) -> Label:
    """The lexicon's label of one clause: the sign of its evaluative words, each flipped
    when negated ("not good", "不太好"); neutral when none or they cancel out."""
    total = 0
    for match in _LEXICON_RE.finditer(clause):
        label = _LEXICON[match[0].lower()]
        if _negated(clause, match.start()):
            label = _flip(label)
        total += {"positive": 1, "negative": -1, "neutral": 0}[label]
    return "positive" if total > 0 else "negative" if total < 0 else "neutral"


def lexicon_polarity(clauses: list[str]) -> list[Label]:
    """:data:`Polarity` by the hand-written lexicon (English and Chinese, negation aware)."""
    return [clause_polarity(clause) for clause in clauses]


def scorer_polarity(scorer: Scorer) -> Polarity:
    """:data:`Polarity` by a text sentiment scorer: all clauses in one ``score_batch``."""
    return lambda texts: [result.label for result in scorer.score_batch(texts)] if texts else []


# --- clauses and the vocabulary ------------------------------------------------------------

# A clause ends at sentence or clause punctuation, or before a contrast word.
_CLAUSE_BREAK = re.compile(
    r"[.!?;:\n。！？；：，,、…]+"
    r"|\s+(?=(?:but|however|although|though|yet|whereas|except)\b)"
    r"|(?=但是|但|可是|不过|不過|然而|只是|就是|却|卻)",
    re.IGNORECASE,
)


def clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank clause of `text`."""
    spans, start = [], 0
    for match in _CLAUSE_BREAK.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


@dataclass(frozen=True, slots=True)
class Aspect:
    """One aspect of a mention: its canonical name, the polarity of what is said about it,
    the surface form found, and the evidence: the span of the clause that says it."""

    name: str
    polarity: Label
    term: str
    start: int
    end: int


class Vocabulary:
    """Surface forms mapped to canonical aspect names, matched in one regex pass."""

    def __init__(self, aspects: Mapping[str, Iterable[str]]) -> None:
        self.aspects = {name: tuple(forms) for name, forms in aspects.items()}
        self._names = {
            form.lower(): name
            for name, forms in self.aspects.items()
            for form in _with_traditional(forms)
        }
        self._pattern = re.compile(_alternation(self._names), re.IGNORECASE)

    def with_terms(self, terms: Iterable[str]) -> Vocabulary:
        """This vocabulary plus `terms` (e.g. from :func:`propose_terms`), each its own
        aspect named by itself (casefolded; a term with ':' is skipped) unless it is
        already a known form."""
        names = (" ".join(term.casefold().split()) for term in terms)
        extra = {n: (n,) for n in names if n and ":" not in n and n not in self._names}
        return Vocabulary({**self.aspects, **extra})

    def __contains__(self, form: str) -> bool:
        return form.lower() in self._names

    def find(self, clause: str) -> list[tuple[str, str]]:
        """(canonical name, surface form) of each aspect named in `clause`, first form
        of each name only, in order."""
        found: dict[str, str] = {}
        for match in self._pattern.finditer(clause):
            found.setdefault(self._names[match[0].lower()], match[0])
        return list(found.items())


SEED_VOCABULARY = Vocabulary(SEED_ASPECTS)


def _majority(group: list[Aspect]) -> Label:
    ranked = Counter(a.polarity for a in group if a.polarity != "neutral").most_common()
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return "neutral"
    return ranked[0][0]


def _merged(found: list[Aspect]) -> tuple[Aspect, ...]:
    """One aspect per name: the majority polarity of its clauses (neutral on a tie), with
    the evidence of the first clause that says so."""
    by_name: dict[str, list[Aspect]] = {}
    for aspect in found:
        by_name.setdefault(aspect.name, []).append(aspect)
    merged = []
    for group in by_name.values():
        polarity = _majority(group)
        merged.append(next((a for a in group if a.polarity == polarity), group[0]))
    return tuple(
        Aspect(a.name, _majority(by_name[a.name]), a.term, a.start, a.end) for a in merged
    )


def extract(texts: Sequence[str], vocabulary: Vocabulary,
            polarity: Polarity) -> list[tuple[Aspect, ...]]:
    """The aspects of each text, in order of first appearance; `polarity` is called once
    for the whole batch, with only the clauses that name an aspect."""
    located: list[list[tuple[str, str, int, int]]] = []
    for text in texts:
        located.append([
            (name, term, start, end)
            for start, end in clauses(text)
            for name, term in vocabulary.find(text[start:end])
        ])
    spans = sorted({(i, s, e) for i, found in enumerate(located) for _, _, s, e in found})
    labels = dict(zip(spans, polarity([texts[i][s:e] for i, s, e in spans]), strict=True))
    return [
        _merged([Aspect(name, labels[i, s, e], term, s, e) for name, term, s, e in found])
        for i, found in enumerate(located)
    ]


# --- a brand's own aspect terms ------------------------------------------------------------

_STOPWORDS_EN = frozenset(_words("""
a an the this that these those it its it's i i'm im my me we our you your they them their he she
his her and or but so very really quite too just also still even is was are were be been
being am feels feel felt looks look seems seem got get gets has have had of for to in on at
with by from as all any some one two much more most less than then there here what which who
when where why how not no never do does did will would can could should thing things stuff
product item everything something anything lot bit way time day days week weeks
"""))
_COPULA = frozenset(_words("is was are were feels felt looks seems seemed sounds"))
_NOT_TERM_ZH = set("的了是我这个那也都很太就还又在有和与你他她它们吗吧呢啊呀哦么就说让给把被")


def _english_candidates(clause: str) -> set[str]:
    """Words right after an evaluative word ('great keyboard') and the one or two words
    before a copula that precedes one ('the hinge feels flimsy')."""
    words = [w.lower() for w in _WORD.findall(clause)]
    evaluative = {i for i, w in enumerate(words) if w in _LEXICON}
    if not evaluative:
        return set()
    found = {words[i + 1] for i in evaluative if i + 1 < len(words)}
    for i, word in enumerate(words):
        if word in _COPULA and any(j > i for j in evaluative) and i >= 1:
            found.add(words[i - 1])
            if i >= 2 and words[i - 2] not in _STOPWORDS_EN and words[i - 2] not in _LEXICON:
                found.add(f"{words[i - 2]} {words[i - 1]}")
    return {
        term for term in found
        if len(term) > 2 and term not in _STOPWORDS_EN and term not in _LEXICON
        and not any(char.isdigit() for char in term)
    }


def _chinese_candidates(clause: str) -> set[str]:
    """The two Chinese characters right before an evaluative word, past intensifiers and
    negators: 键盘 in 键盘很好用, 鍵盤 in 鍵盤不太靈敏."""
    found = set()
    for match in _LEXICON_RE.finditer(clause):
        if not _has_han(match[0]):
            continue
        before = clause[: match.start()].rstrip(_INTENSIFIERS_ZH + "那么麼不没沒无無")
        pair = before[-2:]
        if len(pair) == 2 and all(_has_han(c) and c not in _NOT_TERM_ZH for c in pair):
            found.add(pair)
    return found - set(_LEXICON)


def propose_terms(texts: Iterable[str], vocabulary: Vocabulary = SEED_VOCABULARY, *,
                  min_mentions: int = 3, limit: int = 20,
                  exclude: Iterable[str] = ()) -> list[str]:
    """Aspect terms a brand's texts evaluate often that `vocabulary` does not know yet:
    nouns next to evaluative words (English) and Chinese bigrams right before them, kept
    when at least `min_mentions` texts have them, most frequent first (`exclude`: the
    brand's own names, say)."""
    excluded = {term.lower() for term in exclude}
    counts: Counter[str] = Counter()
    for text in texts:
        terms: set[str] = set()
        for start, end in clauses(text):
            clause = text[start:end]
            terms |= _english_candidates(clause) | _chinese_candidates(clause)
        counts.update(t for t in terms if t not in vocabulary and t not in excluded)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [term for term, count in ranked if count >= min_mentions][:limit]
