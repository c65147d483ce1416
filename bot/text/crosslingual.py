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


# Japanese and Korean write words without spaces between them: their common news words are found as parts of
# the text (longest first). The same kind of words as above: economy, trade, markets, commodities, dates. No word
# of one syllable that is also part of other words (Korean 금 "gold" is in 지금 "now", 金 in 資金 "funds").
_CJK_PAIRS = """
何パーセント what_percentage 何% what_percentage 몇 what いくら how_much 얼마 how_much
下がり fell 下がっ fell 上がり rose 上がっ rose 増え rose 減っ fell
日本 japan 韓国 south_korea 中国 china 米国 u.s. アメリカ u.s. 英国 britain ドイツ germany 西ドイツ west_germany
フランス france 政府 government 大蔵省 finance_ministry 通産省 trade_ministry 日銀 bank_of_japan 日本銀行 bank_of_japan
中央銀行 central_bank 銀行 bank 会社 company 企業 company
輸出 exports 輸入 imports 貿易 trade 黒字 surplus 赤字 deficit 関税 tariffs 原油 crude_oil 石油 oil 価格 price
物価 prices 消費者物価指数 consumer_price_index 消費者物価 consumer_prices 卸売物価 wholesale_prices 指数 index
機械受注 machinery_orders 受注 orders 機械 machinery 船舶 ships 鉄鋼 steel 自動車 cars 半導体 semiconductors
生産 output 鉱工業生産 industrial_output 失業率 unemployment_rate 失業 unemployment 金利 interest_rate
公定歩合 discount_rate 予算 budget 利益 profit 損失 loss 売上高 sales 売上 sales 株 shares 債券 bonds 国債 bonds
ドル dollar 円 yen 億 billion 兆 trillion パーセント percent 前月比 month 前年同月 year_earlier 前年 year_earlier
増加 rise 上昇 rise 減少 fall 下落 fall 低下 fall 買収 acquisition 合併 merger 金相場 gold_price 銅 copper 小麦 wheat
砂糖 sugar コーヒー coffee 穀物 grain 大豆 soybeans
한국 south_korea 일본 japan 미국 u.s. 중국 china 정부 government 재무부 finance_ministry 상공부 trade_ministry
은행 bank 중앙은행 central_bank 회사 company 기업 company 수출 exports 수입 imports 무역 trade 흑자 surplus
적자 deficit 관세 tariffs 원유 crude_oil 석유 oil 가격 price 물가 prices 소비자물가 consumer_prices 예산 budget
부과금 levy 세금 tax 배럴 barrel 달러 dollar 원화 won 퍼센트 percent 이익 profit 손실 loss 매출 sales 주식 shares
채권 bonds 금리 interest_rate 실업률 unemployment_rate 생산 output 증가 rise 인상 raise 올렸 raised 늘릴 increase
감소 fall 인하 cut 올해 this_year 작년 last_year 금값 gold_price 구리 copper 소맥 wheat 설탕 sugar 커피 coffee
"""
_CJK_WORDS = _CJK_PAIRS.split()
assert len(_CJK_WORDS) % 2 == 0, "every Japanese or Korean word has one English word"
_CJK_MAP = dict(zip(_CJK_WORDS[::2], _CJK_WORDS[1::2]))
_CJK_KEYS = re.compile("|".join(sorted(map(re.escape, _CJK_MAP), key=len, reverse=True)))
_CJK_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_MONTH_NAMES = ("january february march april may june july august september october november "
                "december").split()
# "1987年4月", "1987년 4월": a month of a year, as the English time phrases read it.
_CJK_MONTH = re.compile(r"((?:19|20)\d\d)\s*[年년]\s*(1[0-2]|0?[1-9])\s*[月월]")
_CJK_YEAR = re.compile(r"((?:19|20)\d\d)\s*[年년]")
ENGLISH = ENGLISH | frozenset(w for v in _CJK_MAP.values() for w in v.split("_"))


# A word in katakana this module does not know is a foreign name ("サムスン"): the question is about something its
# known words do not say, and its English words alone would find another story.
_KATAKANA_WORD = re.compile(r"[\u30a1-\u30ff]{2,}")


def _cjk_english(text: str) -> str:
    english = _CJK_MONTH.sub(lambda m: f" in {_MONTH_NAMES[int(m.group(2)) - 1]} {m.group(1)} ", text)
    english = _CJK_YEAR.sub(lambda m: f" {m.group(1)} ", english)
    english = _CJK_KEYS.sub(lambda m: " " + _CJK_MAP[m.group(0)].replace("_", " ") + " ", english)
    return text if _KATAKANA_WORD.search(english) else english


def english_words(text: str) -> str:
    """`text` with each word this module knows in English ("en mai 1987" -> "en may 1987"), the rest as is:
    what the English time phrases, question words and search read of a foreign question."""
    if _CJK_SCRIPT.search(text):
        text = _cjk_english(text)
    return re.sub(r"[^\W\d_]+", lambda m: to_english(m.group(0)) or m.group(0), text)
