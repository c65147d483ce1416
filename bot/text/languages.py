"""Which language a short text is in (as far as answers need it), and the lines said in it.

Scripts decide Japanese (kana, or Han without Hangul) and Korean (Hangul); German, French and
Spanish are told apart from English by their commonest function words. Anything else is None.
"""

from __future__ import annotations

import re

_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_WORD = re.compile(r"[^\W\d_]+")

_FUNCTION_WORDS = {
    "en": set("the a an of to in is are was were what who which how did does do for on at by with and from has have".split()),
    "de": set("der die das den dem des ein eine einen ist sind war wurde was wer wie hat haben für mit und von auf im zu nicht welche welcher wann wieviel viel".split()),
    "fr": set("le la les un une des du de est sont été qui que quoi quel quelle quels combien pour avec et sur dans au aux a ont".split()),
    "es": set("el la los las un una unos del de es son fue qué quién cuál cuánto cuántos cómo para con y en por al ha han se".split()),
}
_DIACRITICS = {"de": set("äöüß"), "fr": set("éèêàçùâîôœ"), "es": set("ñáéíóú¿¡")}

# "The answer quotes the English article (no model is set up to translate it)", per language.
# Notes, not sentences of the answer: the front end shows them as notes (in parentheses, or Discord's small text).
QUOTED_IN_ENGLISH = {
    "ja": "翻訳するモデルが設定されていないため、英語の記事の文をそのまま引用しています。",
    "ko": "번역할 모델이 설정되어 있지 않아 영어 기사의 문장을 그대로 인용합니다.",
    "de": "Kein Modell zum Übersetzen eingerichtet: Die Antwort zitiert den Satz aus dem englischen Artikel.",
    "fr": "Aucun modèle n'est configuré pour traduire : la réponse cite la phrase de l'article en anglais.",
    "es": "No hay ningún modelo configurado para traducir: la respuesta cita la frase del artículo en inglés.",
}
QUOTED_IN_ENGLISH_DEFAULT = "The answer quotes the article's sentence in its own language (no model is set up to translate it)."


def language_of(text: str) -> str | None:
    """'ja', 'ko', 'de', 'fr', 'es', 'en', or None when it cannot tell."""
    if _HANGUL.search(text):
        return "ko"
    if _KANA.search(text) or _HAN.search(text):
        return "ja"
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return None
    scores = {lang: sum(w in vocab for w in words) for lang, vocab in _FUNCTION_WORDS.items()}
    letters = set(text.lower())
    for lang, marks in _DIACRITICS.items():
        scores[lang] += 2 * len(letters & marks)
    best = max(scores, key=lambda k: scores[k])
    if scores[best] == 0:
        return None
    if best != "en" and scores[best] == scores["en"]:
        return "en"
    return best


def quoted_note(question_language: str | None) -> str | None:
    """The line that says an answer quotes an English article, in the question's language (None for English)."""
    if question_language in (None, "en"):
        return None
    return QUOTED_IN_ENGLISH.get(question_language, QUOTED_IN_ENGLISH_DEFAULT)
