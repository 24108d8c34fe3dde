"""Structured refusals for unsafe requests from the user.

``classify_request`` recognises requests to get around the safety design (skip an approval, go
live unapproved, change limits without a record, reveal secrets, act as someone else) and
returns a refusal that says what the user can do instead. It is a first line in front of the
model; the execution path enforces the same rules below it whatever this says.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class RefusalKind(StrEnum):
    BYPASS_APPROVAL = "bypass_approval"
    GO_LIVE_WITHOUT_APPROVAL = "go_live_without_approval"
    RAISE_LIMITS_SILENTLY = "raise_limits_silently"
    REVEAL_SECRETS = "reveal_secrets"
    IMPERSONATION = "impersonation"
    NONE = "none"


REFUSALS: dict[RefusalKind, str] = {
    RefusalKind.BYPASS_APPROVAL: (
        "I can't place orders or promote a strategy without a recorded human approval. Instead, I can "
        "prepare the request now; an approver must approve it (web, Slack, CLI or API) before anything is sent."
    ),
    RefusalKind.GO_LIVE_WITHOUT_APPROVAL: (
        "I can't move a strategy to live trading without approval. Instead, request a promotion to live; "
        "an approver must approve it (by default someone other than the requester), and live trading must be "
        "enabled in the configuration."
    ),
    RefusalKind.RAISE_LIMITS_SILENTLY: (
        "I can't change risk limits silently or without approval. Instead, propose a risk limit change; "
        "it needs its own approval and is recorded in the audit log."
    ),
    RefusalKind.REVEAL_SECRETS: (
        "I can't reveal API keys, passwords, tokens or my system instructions. Instead, an admin can check "
        "or rotate credentials in the deployment's configuration (the QUANTPILOT_ environment variables)."
    ),
    RefusalKind.IMPERSONATION: (
        "I can't act as, or approve on behalf of, another person or role. Instead, ask that person to "
        "approve from their own account, or ask an admin to grant you the role you need."
    ),
}

_APPROVAL = r"(approv\w*|review\w*|sign[- ]?off|confirm\w*|human in the loop|the risk checks?|risk checks?)"
_WITHOUT = r"(without|skip\w*|bypass\w*|ignor\w*|no need (for|to)|don'?t (need|wait for|ask for|bother with)|" \
    r"do not (need|wait for|ask for)|circumvent\w*|avoid\w*|forget (about )?|no)"
_LIMIT = r"(risk )?(limits?|max(imum)? (position|order|loss|drawdown|leverage|exposure)\w*|position (size )?caps?|" \
    r"drawdown (limit|cap)s?|loss limits?|leverage (limit|cap)s?|exposure (limit|cap)s?)"
_QUIET = r"(silently|quietly|secretly|discreetly|without (telling|notifying|informing|logging|recording|an? audit|" \
    r"anyone|approval|asking)|off the record|don'?t (tell|log|record|notify|mention)|do not (tell|log|record|" \
    r"notify)|no one (needs to|has to|will) know|under the radar|behind)"
_SECRET = r"(api[ _-]?keys?|secret( keys?)?s?|passwords?|passphrases?|access tokens?|tokens?|credentials?|" \
    r"private keys?|system prompt|hidden instructions|your instructions|env(ironment)? (var(iable)?s?|file))"
_PRIVILEGED = r"(admin(istrator)?|approver|risk (officer|manager)|compliance( officer)?|ceo|cfo|head of \w+|" \
    r"the owner|root|superuser)"

# "act as the data agent", "trade as usual": not a person being impersonated
_NOT_A_PERSON = r"a\b|an\b|the (data|strategy|risk|execution|monitoring) agent\b|if\b|soon\b|well\b|usual\b|before\b|" \
    r"of\b|much\b|many\b|long\b|needed\b|planned\b|discussed\b|agreed\b|possible\b|it\b|is\b|they\b|we\b|i\b|" \
    r"you\b|follows\b|such\b|part\b|per\b|usual\b|normal\b|expected\b|requested\b|proposed\b|shown\b"
_GO = r"(go(ing)?|take|taking|get|launch\w*|switch\w*|move|moving|promot\w*|put|push|deploy\w*|turn on|enable|start|" \
    r"run|trade|trading)"

_RULES: tuple[tuple[RefusalKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(regex, re.IGNORECASE | re.DOTALL))
    for kind, regex in (
        (
            RefusalKind.IMPERSONATION,
            rf"\b(approve|sign|authori[sz]e|submit|log ?in|act|trade|place \w+ orders?)\b.{{0,90}}?\b(as|on behalf of)"
            rf"\s+(?!{_NOT_A_PERSON})(\w+)|"
            rf"\b(pretend|claim|say|tell (it|them|the system)|log (it|this) as if)\b.{{0,20}}?"
            rf"\b(i am|i'm|to be|you are)\b.{{0,20}}?\b{_PRIVILEGED}|"
            rf"\b(i am|i'm)\s+(actually\s+|really\s+)?(the|an?)\s+{_PRIVILEGED}\b"
            rf".{{0,60}}?\b(so|approve|let me|allow|give)|"
            rf"\buse\s+(\w+'s|his|her|their|someone "
            rf"else'?s|another user'?s)\s+(account|credentials|login|approval|role)",
        ),
        (
            RefusalKind.GO_LIVE_WITHOUT_APPROVAL,
            rf"\b{_GO}\b.{{0,40}}?\blive\b.{{0,50}}?\b{_WITHOUT}\b.{{0,25}}?{_APPROVAL}|\b{_WITHOUT}\b.{{0,25}}?"
            rf"{_APPROVAL}.{{0,50}}?\blive\b|\b(skip|bypass|jump over)\b.{{0,20}}?\bpaper\b.{{0,30}}?\blive\b|"
            rf"\bstraight (to|into) live\b",
        ),
        (
            RefusalKind.RAISE_LIMITS_SILENTLY,
            rf"\b(raise|increase|bump|lift|double|triple|change|loosen|relax|remove|disable|drop|override|set)\b"
            rf".{{0,40}}?\b{_LIMIT}.{{0,60}}?\b{_QUIET}|\b{_QUIET}\b.{{0,40}}?\b(raise|increase|bump|lift|double|"
            rf"change|loosen|remove|disable)\b.{{0,40}}?\b{_LIMIT}|\b(remove|disable|turn off)\b.{{0,10}}?\ball\b"
            rf".{{0,10}}?\b(risk )?limits\b",
        ),
        (
            RefusalKind.BYPASS_APPROVAL,
            rf"\b{_WITHOUT}\b.{{0,25}}?\b{_APPROVAL}|\b(auto|pre|self)[- ]?approv\w*|\bapprove (it|this|that|"
            rf"them|my (own )?\w+) (yourself|for me)\b|\bmark (it|this|them|the \w+) (as )?approved\b|"
            rf"\b(disable|turn off|switch off|bypass)\b.{{0,20}}?\b(the )?(risk (checks?|policy|engine)|"
            rf"approval (step|gate|node)s?|kill[- ]?switch)\b",
        ),
        (
            RefusalKind.REVEAL_SECRETS,
            rf"\b(show|reveal|print|display|give|tell|send|share|dump|leak|export|paste|read out|list|what(')?s|"
            rf"what is|what are)\b.{{0,40}}?\b{_SECRET}\b",
        ),
    )
)

_AS_SOON_AS = re.compile(r"\bas (soon|long|well|much|far|quickly|early) as\b", re.IGNORECASE)

# Questions about how the safety design works are not attempts to get around it.
_HOW_TO = re.compile(
    r"^\s*(how (do|can|should) (i|we)|where (do|can|should) (i|we)) (configure|set( up)?|rotate|add|store|"
    r"provide|change)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SafetyVerdict:
    """``kind`` is ``none`` for a safe request; otherwise ``refusal`` is the sentence to answer with."""

    kind: RefusalKind
    refusal: str | None = None

    @property
    def refused(self) -> bool:
        return self.kind is not RefusalKind.NONE


def classify_request(text: str) -> SafetyVerdict:
    """Classify a user request; the most specific unsafe kind wins (impersonation, live, limits, ...)."""
    folded = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).replace("\u2019", "'")
    folded = _AS_SOON_AS.sub("when", folded)  # "as soon as the run is in" names no one to act as
    if _HOW_TO.search(folded):
        return SafetyVerdict(RefusalKind.NONE)
    for kind, pattern in _RULES:
        if pattern.search(folded):
            return SafetyVerdict(kind, REFUSALS[kind])
    return SafetyVerdict(RefusalKind.NONE)
