"""Advocacy persona of a text: an e5 + linear head classifier, explained by cue lexicons.

>>> classify_persona("Quick tip: here's how to pair the Buds Pro with two laptops.").persona
'educator'

Four personas (DESIGN.md): Educator explains and teaches, Validator reviews and vouches,
Connector recommends to others and refers, Builder suggests features and joins betas;
`none` is not advocacy (neutral news, complaints, questions).

Two classifiers share the `PersonaClassifier` protocol. `HeadPersonaClassifier` (the
default) embeds texts with the e5 encoder and applies a linear head trained on the dev part
of the labeled set (`sentiment/persona_data`). `RulePersonaClassifier` needs no model: it
weighs English and Chinese cue lexicons, and its matched cues are also what explains every
decision, whichever classifier made it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from sentiment.head import LinearHead

if TYPE_CHECKING:
    from sentiment.encoder import E5Encoder

__all__ = [
    "APPROACHES",
    "DEFAULT_PERSONA_HEAD",
    "LABELS",
    "PERSONAS",
    "HeadPersonaClassifier",
    "Persona",
    "PersonaClassifier",
    "PersonaResult",
    "RulePersonaClassifier",
    "classify_persona",
    "load_persona_classifier",
    "load_persona_head",
    "persona_adapter_sha256",
    "recommendations",
]

Persona = Literal["educator", "validator", "connector", "builder"]
PERSONAS: tuple[Persona, ...] = ("educator", "validator", "connector", "builder")
LABELS: tuple[str, ...] = (*PERSONAS, "none")
DEFAULT_PERSONA_HEAD = Path(__file__).parent / "persona_data" / "head.json"

# What each persona wants from the brand; never a cash-first ask.
APPROACHES: dict[str, str] = {
    "educator": "Offer useful content to teach with (guides, early docs, demo units) and a "
                "stage: a guest post, webinar or meetup talk.",
    "validator": "Offer exclusive previews and early access to new products, then ask for "
                 "an honest review.",
    "connector": "Invite them to the referral programme and a community role (ambassador, "
                 "group host).",
    "builder": "Invite them to the beta programme and a customer advisory board.",
}

_OTHER = ("complaint", "question", "news")


@dataclass(frozen=True, slots=True)
class _Cue:
    kind: str  # a persona, or one of _OTHER
    pattern: re.Pattern[str]
    weight: float


def _cues(kind: str, weight: float, *patterns: str) -> list[_Cue]:
    # English patterns match on word boundaries; Chinese ones (no \w in them) anywhere.
    # English word boundaries are ASCII ones, so "bug" is found in "这个bug" as in "a bug".
    out = []
    for pattern in patterns:
        ascii_word = pattern[:1].isascii() and pattern[:1].isalnum()
        regex = rf"(?<![\w@]){pattern}" if ascii_word else pattern
        flags = re.IGNORECASE | (re.ASCII if ascii_word else 0)
        out.append(_Cue(kind, re.compile(regex, flags), weight))
    return out


_LEXICON: list[_Cue] = [
    *_cues("educator", 1.0,
           r"how to", r"here'?s how", r"how i\b", r"guides?\b", r"tutorials?", r"walkthrough",
           r"step[- ]by[- ]step", r"pro tip", r"quick tip", r"tips?\b", r"psa\b",
           r"explain", r"explainer", r"cheat ?sheet", r"workshops?", r"teach", r"lesson",
           r"faq\b", r"troubleshoot", r"for anyone asking", r"answering", r"to answer",
           r"replying to", r"to the person asking", r"someone (?:in \w+ )?asked",
           r"wish i knew", r"q&a", r"webinar", r"demystif", r"break down", r"beginner",
           r"if you'?re new", r"here is what works", r"get this wrong", r"blog post",
           r"series", r"diagram", r"settings? ?>",
           "教程", "教學", "教学", "攻略", "科普", "手把手", "指南", "入门", "入門", "新手",
           "技巧", "讲解", "講解", "解释", "解釋", "回答", "楼上", "樓上", "讲座", "講座",
           "直播", "工作坊", "讲义", "講義", "常见问题", "常見問題", "排查", "思维导图",
           "方法是", "第一步", "误解", "誤解", "搞错", "搞錯", "示范", "示範", "教大家",
           "教你", "一步一步", "图文", "圖文", "解法", "附图", "干货", "乾貨", "小白", "懒人包",
           "懶人包", "诀窍", "訣竅", "窍门", "竅門", "冷知识", "冷知識", "普及", "谢邀", "謝邀",
           "补充一下", "補充一下", "观念", "觀念", "答一下", "一楼", "一樓", "正确姿势",
           "正確姿勢", "常被搞错", "常被搞錯", "别急着", "別急著"),
    *_cues("educator", 0.5, r"video", r"wrote up", r"manual", "整理了", "整理成", "说明",
           "說明", "影片", "视频", "分享一个"),
    *_cues("validator", 1.0,
           r"worth (?:it|every|the)", r"money well spent", r"five stars?",
           r"\d(?:\.\d)?/(?:5|10)\b",
           r"stars?\b", r"reviews?\b", r"verdict", r"honest", r"testimonial", r"would buy again",
           r"happy customer", r"impressed", r"lived up", r"can confirm", r"keeping it",
           r"everything i hoped", r"does exactly what", r"thumbs up", r"tested", r"outstanding",
           r"best \w+ i'?ve (?:owned|tried|used)", r"(?:after|for|with) (?:a|one|two|three|six|"
           r"\d+) (?:weeks?|months?|years?)", r"(?:weeks?|months?|years?) (?:with|of|now)",
           r"still (?:love|looks|holds|picks|perfect)", r"superb", r"excellent",
           "值得", "值这个价", "值這個價", "物超所值", "物有所值", "性价比", "性價比", "CP值",
           "好评", "好評", "五星", "五顆星", "满分", "滿分", "测评", "評測", "评测", "實測",
           "评价", "評價", "心得", "追评", "追加評論", "满意", "滿意", "不后悔", "不後悔",
           "超出预期", "回购", "回購", "亲测", "打分", "評分", "真心好用", "买到赚到",
           "買到賺到", "开箱", "開箱", "无敌", "一流", "没得说", "沒話說", "真香", "yyds",
           "绝了", "絕了", "打call", "靠谱", "靠譜", "囤了", "交作业", "交作業", "不亏", "不虧",
           "很可以", "续命", "續命", "救星", "神器", "实测", "用下来", "用下來", "对得起",
           "對得起", "没对手", "沒對手", "真实反馈", "真實反饋", "给满分", "給滿分",
           r"用了(?:两|三|半|一|\d|几)[^\uff0c\u3002\uff01]{0,2}(?:年|个月|個月|周|週|天)",
           r"(?:使用|入手|试用|試用)(?:了)?(?:一|两|三|半|\d)[^\uff0c\u3002\uff01]{0,2}(?:年|个月|個月|周|週)"),
    *_cues("validator", 0.5, r"quality", r"solid", r"love it", r"reliable", r"genuinely",
           "质量", "品質", "做工", "稳定", "穩定", "很稳", "很穩", "耐用", "好用"),
    *_cues("connector", 1.0,
           r"you should (?:\w+ )?(?:try|check)", r"highly recommend", r"referral",
           r"invite link", r"my code", r"told (?:my|two|all|every|three)", r"sharing this",
           r"shared (?:it|the|this)", r"forward", r"send(?:ing)? them", r"gift",
           r"tagging", r"retweet", r"spread(?:ing)? the word", r"convinced", r"introduce",
           r"group chat", r"dm me", r"message me", r"lend", r"everyone in my",
           r"recommend(?:ed|ing)? (?:\w+ )?to (?:all|every|anyone|my|friends|family)",
           r"can'?t stop recommending", r"pointed everyone", r"passed on", r"trust me",
           r"sent the \w+ link", r"posting this in",
           "推荐给", "推薦給", "推荐了", "安利", "种草", "種草", "推坑", "邀请码", "邀請碼",
           "推荐码", "推薦碼", "邀请链接", "邀請連結", "分享给", "分享給", "分享我的", "转发",
           "轉發", "转给", "轉給", "介绍给", "介紹給", "介绍了", "介紹", "私信", "私訊",
           "闭眼入", "快去买", "快去買", "群里", "社團", "贴上去", "貼上去", "借我", "跟我借",
           "留言给我", "留言給我", "送了", "拼单", "拼單", "团购", "團購", "拉你", "拉进",
           "拉進", "上车", "上車", "家庭共享", "分摊", "分攤", "朋友圈", "群组", "群組",
           "丢给", "丟給", "发给", "發給", "传给", "傳給", "私发", "私我", "滴滴我", "人手一",
           "带坏", "帶壞", "下一个就是你", "扣1", r"\+1"),
    *_cues("connector", 1.0, r"@\w"),
    *_cues("connector", 0.5, r"friends?\b", r"family", r"coworkers", r"colleagues",
           r"neighbou?r", r"everyone", r"sister", r"brother", r"mum", r"dad",
           "朋友", "同事", "室友", "家人", "身边", "身邊", "邻居", "鄰居", "全家"),
    *_cues("builder", 1.0,
           r"feature", r"suggestions?", r"suggest", r"would love to see", r"it would be great if",
           r"wish ?list", r"ideas?\b", r"proposal", r"feedback", r"beta", r"early[- ]access",
           r"release candidate", r"bugs?\b", r"buggy", r"roadmap", r"community", r"forum",
           r"discord", r"github", r"open[- ]source", r"contribut", r"advisory", r"user research",
           r"prototype", r"mock-?up", r"volunteer", r"translat", r"wiki", r"moderate",
           r"integration", r"api\b", r"patch", r"input on", r"pitched",
           "建议", "建議", "希望能", "希望", "功能", "内测", "內測", "测试版", "測試版", "体验官",
           "體驗官", "抢先体验", "搶先體驗", "反馈", "回饋", "回報", "提案", "社区", "社群",
           "论坛", "論壇", "共创", "共創", "顾问团", "顧問團", "补丁", "翻译", "翻譯", "志愿",
           "自願", "原型", "草图", "草稿", "固件", "韌體", "文档", "改进", "改善", "提了意见",
           "提供了", "点子", "點子", "想法", "需求", "封测", "封測", "公测", "公測",
           "设计稿", "設計稿", "征集", "徵集", "语料", "語料", "贡献", "貢獻", "意见", "意見",
           "能不能加", "提交了", "路线图", "路線圖", "开发团队", "開發團隊", "工程师", "工程師",
           "产品经理", "產品經理", r"issue", r"PR\b"),
    *_cues("complaint", 1.0,
           r"terrible", r"disappoint", r"refund", r"waste of", r"never again", r"not impressed",
           r"returned", r"stopped working", r"broke", r"cracked", r"overheat", r"annoying",
           r"hung up", r"peeling", r"warped", r"rattles", r"fall out", r"flickers", r"died",
           r"stuck", r"doesn'?t match", r"not great", r"headache", r"still waiting", r"error",
           r"can'?t (?:find|steer|handle)", r"removed", r"shuts off", r"do not buy",
           "失望", "太差", "很差", "退货", "退貨", "坏了", "壞了", "壞掉", "很烦", "好煩",
           "太吵", "噪音太大", "裂", "断线", "斷線", "发热严重", "發熱嚴重", "没人接",
           "沒人接", "卡在", "没回复", "沒回覆", "拖了", "当机", "當機", "没法用", "找不到",
           "绿线", "犹豫", "猶豫", "避雷", "踩雷", "无语", "無語", "無言", "傻眼", "心累",
           "崩了", "气死", "氣死", "闪退", "閃退", "漏电", "漏電", "坏点", "壞點", "退款",
           "不给换", "不給換", "吃相难看", "搓泥", "瑕疵", "踢皮球", "好烦"),
    *_cues("question", 1.0, r"does anyone", r"anyone know", r"is there", r"which is better",
           r"how do i", r"can someone", r"has anyone", r"what'?s the difference",
           r"is the \w+ (?:\w+ )?worth", "请问", "請問", "有人知道", "有人也", "哪个", "哪個",
           "求真实", "值得买吗", "值得買嗎", "怎么取消", "怎麼取消", r"吗\uff1f", r"嗎\uff1f",
           "求推荐", "求推薦", "有没有人", "有沒有人", "有没有姐妹", "什么区别", "什麼區別",
           "差在哪", "选哪", "選哪", "哪款好", "安不安全", r"啊\uff1f", r"吗\?", r"嗎\?"),
    *_cues("news", 1.0, r"announces", r"according to", r"the company said", r"reports",
           r"recalls?\b", r"shares (?:fell|rose)", r"rumou?red", r"acquires", r"is hiring",
           r"on sale", r"raises prices", r"launch", r"opens its", r"adds", r"spotted",
           r"gave the", r"comparison", r"revenue",
           "宣布", "据报道", "據報導", "召回", "涨价", "漲價", "降价", "降價", "开卖", "開賣",
           "打八折", "最新消息", "售价", "售價", "预计", "預計", "公告", "官方消息", "透露",
           "上市", "停机维护", "停機維護", "调涨", "調漲", "上涨", "財報", "财报", "营收",
           "營收", "裁员", "裁員", "票价", "票價", "改版"),
]

# Recommendation intent (an advocate signal, not a persona by itself): the phrase, unless
# negated just before it ("wouldn't recommend", "不推荐").
_RECOMMEND = re.compile(
    r"(?:(?:i|we)(?:'d| would)? )?(?:(?:strongly|highly|totally|definitely) )?"
    r"recommend(?:ed|ing|s)?"
    r"|you should (?:\w+ )?try|worth (?:it|every"
    r" penny)|强烈推荐|強烈推薦|非常推薦|非常推荐|推荐|推薦|值得买|值得買|值得入手|大推",
    re.IGNORECASE)
_NEGATED_EN = re.compile(
    r"(?:\bnot|n['\u2019]t|\bnever|\bno longer|\bno)\s+(?:(?!stop\b)[\w']+\s+){0,2}$",
    re.IGNORECASE)
_NEGATED_ZH = re.compile(r"(?:不|没|沒|别|別|无|無|不太|不会|不會|不再|不值得)[会會太再]?$")


def recommendations(text: str) -> list[str]:
    """The recommendation phrases of a text that are not negated, as written."""
    found = []
    for match in _RECOMMEND.finditer(text):
        before = text[max(0, match.start() - 24):match.start()]
        if _NEGATED_EN.search(before) or _NEGATED_ZH.search(before):
            continue
        found.append(match.group(0))
    return found


def _negated_recommendation(text: str) -> bool:
    return any(True for _ in _RECOMMEND.finditer(text)) and not recommendations(text)


@dataclass(frozen=True, slots=True)
class PersonaResult:
    """`persona` is one of LABELS; `scores` are the deciding classifier's numbers per
    label (probabilities for the head, cue weights for the rules); `signals` are what
    explains it: the matched cues as "kind: cue" and any recommendation phrases."""

    persona: str
    scores: dict[str, float]
    signals: tuple[str, ...]


def _match(text: str, cues: Iterable[_Cue]) -> list[tuple[_Cue, str]]:
    """Each cue found in the text, with the text it matched (what the analyst sees)."""
    found = ((cue, cue.pattern.search(text)) for cue in cues)
    return [(cue, match.group(0)) for cue, match in found if match]


def _cue_scores(text: str) -> tuple[dict[str, float], list[str]]:
    """Cue weight per persona and per non-advocacy kind, and the cues that matched."""
    matched = _match(text, _LEXICON)
    scores = dict.fromkeys((*PERSONAS, *_OTHER), 0.0)
    signals = [f"{cue.kind}: {words}" for cue, words in matched]
    for cue, _ in matched:
        scores[cue.kind] += cue.weight
    for phrase in recommendations(text):
        # A bare recommendation vouches (validator) and passes the word on (connector).
        scores["validator"] += 0.5
        scores["connector"] += 0.5
        signals.append(f"recommends: {phrase}")
    if _negated_recommendation(text):
        scores["complaint"] += 1.0
        signals.append("complaint: negated recommendation")
    return scores, signals


def classify_persona(text: str) -> PersonaResult:
    """The rules' persona of a text: the persona with the most cue weight, if it reaches
    1 and outweighs the complaint, question and news cues together; else "none"."""
    scores, signals = _cue_scores(text)
    best = max(PERSONAS, key=lambda p: scores[p])
    against = sum(scores[k] for k in _OTHER)
    persona = best if scores[best] >= 1.0 and scores[best] > against else "none"
    return PersonaResult(persona, {k: round(v, 2) for k, v in scores.items()}, tuple(signals))


class PersonaClassifier(Protocol):
    name: str

    def classify(self, texts: Sequence[str]) -> list[PersonaResult]:
        """One result per text, in order; batched where a model is involved."""
        ...


class RulePersonaClassifier:
    """The cue lexicons alone: instant, no model, but they generalise less well."""

    name = "persona-rules"

    def classify(self, texts: Sequence[str]) -> list[PersonaResult]:
        return [classify_persona(text) for text in texts]


class HeadPersonaClassifier:
    """e5 embeddings + a linear head over LABELS; signals come from the lexicons."""

    name = "persona-e5-head"

    def __init__(self, encoder: E5Encoder, head: LinearHead) -> None:
        self.encoder = encoder
        self.head = head

    def classify(self, texts: Sequence[str]) -> list[PersonaResult]:
        return self.classify_embedded(texts, self.encoder.embed(list(texts)))

    def classify_embedded(self, texts: Sequence[str],
                          embeddings: np.ndarray) -> list[PersonaResult]:
        """`classify` of texts already embedded by this classifier's encoder."""
        probabilities = self.head.probabilities(embeddings)
        results = []
        for text, row in zip(texts, probabilities, strict=True):
            scores = {label: round(float(p), 4) for label, p in zip(LABELS, row, strict=True)}
            persona = max(LABELS, key=lambda label: scores[label])
            _, cues = _cue_scores(text)
            signals = (f"{persona} p={scores[persona]:.2f}", *cues)
            results.append(PersonaResult(persona, scores, signals))
        return results


def load_persona_head(path: Path = DEFAULT_PERSONA_HEAD) -> LinearHead:
    """Read a persona head file (rows in LABELS order); ValueError names what is wrong."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    if list(payload.get("labels", ())) != list(LABELS):
        raise ValueError(f"{path}: labels must be {list(LABELS)}, got {payload.get('labels')}")
    weights = np.asarray(payload["weights"], dtype=np.float64)
    bias = np.asarray(payload["bias"], dtype=np.float64)
    if weights.ndim != 2 or weights.shape[0] != len(LABELS) or bias.shape != (len(LABELS),):
        raise ValueError(f"{path}: weights must be ({len(LABELS)}, dim) and bias ({len(LABELS)},)")
    return LinearHead(weights, bias, dict(payload.get("metadata", {})))


def persona_adapter_sha256(head: LinearHead) -> str:
    """The sha256 of the adapter merged into the encoder the head was fitted over ("" for
    plain e5-small): its embeddings are the only ones the head can read."""
    return str(head.metadata.get("adapter_sha256", ""))


def load_persona_classifier(kind: Literal["e5", "rules"] = "e5", *, batch_size: int = 32,
                            head_path: Path = DEFAULT_PERSONA_HEAD) -> PersonaClassifier:
    """The e5 head classifier, on the encoder its head was fitted over (the committed
    adapter merged in, or none; builds the e5 checkpoint on first use, like the sentiment
    scorer), or the rules. Heavy imports happen only here.

    Raises ``ValueError`` when the head was fitted over an adapter other than the committed
    one (refit it: ``python -m sentiment.train.persona_head``).
    """
    if kind == "rules":
        return RulePersonaClassifier()
    from sentiment.adapter import DEFAULT_ADAPTER, load_adapter
    from sentiment.checkpoint import ensure_checkpoint
    from sentiment.encoder import E5Encoder

    head = load_persona_head(head_path)
    fitted_over = persona_adapter_sha256(head)
    adapter = load_adapter(DEFAULT_ADAPTER) if fitted_over else None
    if adapter is not None and adapter.sha256 != fitted_over:
        raise ValueError(f"the persona head was fitted over the adapter with sha256 "
                         f"{fitted_over[:16]}..., not {DEFAULT_ADAPTER} ({adapter.sha256[:16]}...):"
                         " refit it with python -m sentiment.train.persona_head")
    encoder = E5Encoder(ensure_checkpoint(), batch_size=batch_size, adapter=adapter)
    return HeadPersonaClassifier(encoder, head)
