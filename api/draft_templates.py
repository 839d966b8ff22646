"""The default reply templates, in English and Chinese (Simplified), one per situation: a
mention's sentiment, or an advocate's persona with the ask that suits it (docs/PERSONAS.md):
Educators want to teach (a guide, a talk), Validators to be asked for an honest review of
something early, Connectors to introduce people (referrals, a community role), Builders to
shape the product (beta, feedback). Never a cash-first ask.

A watchlist's `[[drafts.templates]]` come before these; they are Jinja2 text with the
placeholders of `api.drafts.placeholders`.
"""

from __future__ import annotations

__all__ = ["DEFAULT_TEMPLATES"]

_SIGN_EN = " — The {{ brand }} team"
_SIGN_ZH = "——{{ brand }}团队"

#: (situation, lang) -> template text
DEFAULT_TEMPLATES: dict[tuple[str, str], str] = {
    ("negative", "en"):
        "Hi {{ author }}, thank you for telling us{% if aspect %} about the {{ aspect }}"
        "{% endif %}, and we are sorry {{ product }} let you down. We would like to make this "
        "right: could you send us a message with your order details so our team can look "
        "into it?" + _SIGN_EN,
    ("neutral", "en"):
        "Hi {{ author }}, thanks for sharing your experience with {{ product }}. If there is "
        "anything we could do better{% if aspect %}, especially on the {{ aspect }}"
        "{% endif %}, we would love to hear it." + _SIGN_EN,
    ("positive", "en"):
        "Hi {{ author }}, thank you for the kind words about {{ product }}"
        "{% if aspect %}, and great to hear the {{ aspect }} works for you{% endif %}!"
        + _SIGN_EN,
    ("educator", "en"):
        "Hi {{ author }}, thank you for explaining {{ product }} so clearly"
        "{% if aspect %}, your notes on the {{ aspect }} are spot on{% endif %}. Would you "
        "like to write a guide for our community, or give a short talk at our next meetup? "
        "We would share early docs and a demo unit." + _SIGN_EN,
    ("validator", "en"):
        "Hi {{ author }}, thank you for your detailed review of {{ product }}! We would love "
        "to give you an early look at what comes next and hear your honest review of it. "
        "Interested?" + _SIGN_EN,
    ("connector", "en"):
        "Hi {{ author }}, thank you for recommending {{ product }} to others! Would you like "
        "to join our referral programme, or help host our community as an ambassador? We "
        "would also be glad of an introduction to anyone you think we should meet."
        + _SIGN_EN,
    ("builder", "en"):
        "Hi {{ author }}, thank you for your ideas about {{ product }}{% if aspect %}, "
        "especially on the {{ aspect }}{% endif %}. Would you like to join our beta and help "
        "shape what we build next?" + _SIGN_EN,
    ("negative", "zh"):
        "{{ author }}，您好！感谢您的反馈{% if aspect %}（关于{{ aspect }}）{% endif %}，很抱歉"
        "{{ product }}没有达到您的期望。请私信我们您的订单信息，我们的团队会尽快跟进处理。"
        + _SIGN_ZH,
    ("neutral", "zh"):
        "{{ author }}，您好！感谢分享您使用{{ product }}的体验。如果有我们可以做得更好的地方"
        "{% if aspect %}，尤其是{{ aspect }}{% endif %}，欢迎随时告诉我们。" + _SIGN_ZH,
    ("positive", "zh"):
        "{{ author }}，您好！非常感谢您对{{ product }}的认可{% if aspect %}，很高兴"
        "{{ aspect }}让您满意{% endif %}！" + _SIGN_ZH,
    ("educator", "zh"):
        "{{ author }}，您好！感谢您把{{ product }}讲解得这么清楚。想邀请您为我们的社区写一篇"
        "使用教程，或在下次线下活动中做个分享，我们会提前提供资料和体验机。" + _SIGN_ZH,
    ("validator", "zh"):
        "{{ author }}，您好！感谢您对{{ product }}的详细评价！想邀请您抢先体验我们的新品，"
        "并听听您真实的评价，您有兴趣吗？" + _SIGN_ZH,
    ("connector", "zh"):
        "{{ author }}，您好！感谢您把{{ product }}推荐给身边的朋友！想邀请您加入我们的推荐"
        "计划，或担任社区大使；如果您认识我们应该结识的朋友，也欢迎帮忙引荐。" + _SIGN_ZH,
    ("builder", "zh"):
        "{{ author }}，您好！感谢您对{{ product }}提出的建议{% if aspect %}，特别是关于"
        "{{ aspect }}的想法{% endif %}。想邀请您参加我们的内测，一起打磨下一版产品，"
        "您愿意吗？" + _SIGN_ZH,
}
