"""Questions in German, French or Spanish about English articles, without a model: their common news words in
English. Names ("Ferruzzi", "Caracas") and figures carry over as they are; this gives the words around them
(months, trade, prices, exports, shares …) so retrieval and the extractive answer find the article. With a
model, the model reads the question itself; this only decides what it is shown.

Words are matched lower-cased with accents folded ("exportaciones", "prix", "Erzeugerpreise" by its parts
is not attempted: compounds stay as they are).
"""

from __future__ import annotations

import re
import unicodedata

_PAIRS = """
januar january janvier january enero january februar february fevrier february febrero february marz march
mars march marzo march april april avril april abril april mai may mayo may juni june juin june junio june
juli july juillet july julio july august august aout august agosto august september september septembre september
septiembre september oktober october octobre october octubre october november november novembre november
noviembre november dezember december decembre december diciembre december
export export exporte exports exportiert exported ausfuhr exports ausfuhren exports exportations exports
exportation export exporte exported exportaciones exports exportacion export exporto exported exportadores exporters
exportateurs exporters import import importe imports einfuhr imports importations imports importaciones imports
preis price preise prices prix price precio price precios prices
kosten cost cout cost coste cost costo cost zins interest zinsen interest taux rate tasa rate
prozent percent pourcentage percent pour-cent percent porcentaje percent
milliarden billion milliard billion milliards billion mil thousand millones million millions million millionen million
dollar dollars dolares dollars mark marks
gewinn profit benefice profit beneficio profit ganancia profit verlust loss perte loss perdida loss
umsatz sales ventes sales ventas sales chiffre figures chiffres figures cifras figures zahlen figures
anleihe bond anleihen bonds obligation bond obligations bonds bono bond bonos bonds kupon coupon coupon coupon cupon coupon
aktie share aktien shares action share actions shares accion share acciones shares
bank bank banque bank banco bank zentralbank bank
regierung government gouvernement government gobierno government minister minister ministre minister ministro minister
land country pays country pais country staat state etat state estado state
unternehmen company entreprise company societe company empresa company compania company konzern group groupe group
grupo group
kaufen buy kauft buys acheter buy racheter buy rachat purchase comprar buy compra purchase verkaufen sell vendre sell
vender sell verkauf sale vente sale venta sale
zahlen pay payer pay pagar pay zahlt pays paiera pay pagara pay
produktion production production production produccion production erzeugung production
ol oil petrole oil petroleo oil kaffee coffee cafe coffee zucker sugar sucre sugar azucar sugar
weizen wheat ble wheat trigo wheat gold gold or gold oro gold kupfer copper cuivre copper cobre copper
handel trade commerce trade comercio trade handelsbilanz trade balanza trade
defizit deficit deficit deficit uberschuss surplus excedent surplus superavit surplus
inflation inflation wachstum growth croissance growth crecimiento growth
steigen rise gestiegen rose stieg rose augmente rose augmentation rise hausse rise aumento rise aumento rise
subio rose sinken fall gesunken fell baisse fall chute fall bajo fell caida fall
jahr year annee year ano year monat month mois month mes month woche week semaine week semana week
reunion meeting treffen meeting sitzung meeting reunion meeting observateur observer beobachter observer
observador observer opep opec detail retail einzelhandel retail erzeugerpreise producer_prices
verbraucherpreise consumer_prices vormonat previous_month westdeutschen west_german westdeutsche west_german
westdeutschland west_germany gegenuber against par against contre against frente against im in en in dans in
und and et and y and bis to de of
einnahmen revenue erlos revenue erlose revenue recettes revenue ingreso revenue ingresos revenue ingresaron revenue
"""

_WORDS = _PAIRS.split()
assert len(_WORDS) % 2 == 0, "every foreign word has one English word"
_MAP: dict[str, str] = {}
for _foreign, _english in zip(_WORDS[::2], _WORDS[1::2]):
    _MAP.setdefault(_foreign, _english)


# The English words this module gives: a foreign question's words that are these are English for sure.
ENGLISH = frozenset(w for v in _MAP.values() for w in v.split("_"))


def fold(word: str) -> str:
    """Lower case without accents: "Exportación" -> "exportacion", "März" -> "marz"."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def to_english(word: str) -> str | None:
    """The English news word(s) for a German, French or Spanish one (None when it has none here)."""
    english = _MAP.get(fold(word))
    return english.replace("_", " ") if english else None


def english_words(text: str) -> str:
    """`text` with each word this module knows in English ("en mai 1987" -> "en may 1987"), the rest as is:
    what the English time phrases, question words and search read of a foreign question."""
    return re.sub(r"[^\W\d_]+", lambda m: to_english(m.group(0)) or m.group(0), text)
