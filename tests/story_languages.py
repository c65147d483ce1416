"""Reports of the sample articles' events by Korean, Japanese and German outlets (written for these tests).

Each is the outlet's own telling, not a translation: its own headline and lead, facts reordered, some
dropped. `OTHER_EVENT_KO` is a Korean report of a *different* event on the same day that shares the
names (Samsung, Japan's export curbs, hydrogen fluoride): it must stay a story of its own.
"""

from __future__ import annotations

# sample 01 (Japan approves a photoresist shipment to Samsung, 2019-08-08 06:30 UTC), by a Korean outlet
PHOTORESIST_KO = """# 일본, 수출규제 후 처음으로 삼성전자향 포토레지스트 수출 허가
published: 2019-08-08T08:10:00Z
url: https://hanbit-ilbo.example/economy/photoresist-samsung

도쿄(한빛일보) – 일본 경제산업성이 삼성전자로 가는 포토레지스트 수출 1건을 허가했다고 사정에 밝은 소식통이 8일 전했다. 지난 7월 한국에 대한 수출 규제를 강화한 뒤 이 반도체 소재에 대해 허가가 나온 것은 처음이다.

세코 히로시게 경제산업상은 기자들에게 이번 허가는 규제가 금수 조치가 아니라는 것을 보여준다며 "정당한 거래는 승인될 것"이라고 말했다.

이번 허가는 계약 1건에만 적용된다. 포토레지스트와 불화폴리이미드, 불화수소를 한국에 수출하는 일본 기업은 앞으로도 건별로 허가를 신청해야 하며 심사에는 최대 90일이 걸릴 수 있다.

한국 정부는 허가를 환영하면서도 규제를 완전히 철회해야 한다는 입장을 거듭 밝혔다.
"""

# sample 10 (the Bank of Korea cuts its rate to 1.50 percent, 2019-07-18 02:00 UTC), by a Japanese outlet
RATE_CUT_JA = """# 韓国銀行、3年ぶりの利下げ　政策金利を1.50%に
published: 2019-07-18T04:40:00Z
url: https://asahikaze.example/keizai/bok-rate-cut

ソウル（朝風経済新聞）― 韓国銀行（中央銀行）は18日、政策金利を0.25%引き下げて年1.50%とすることを決めた。利下げは3年ぶりで、市場では8月の利下げを見込む声が多かった。

李柱烈（イ・ジュヨル）総裁は、半導体輸出の落ち込みと日本の輸出規制による先行き不透明感が景気の重荷になっていると述べた。

同行はあわせて、今年の経済成長率の見通しを2.2%に引き下げた。
"""

# sample 07 (Samsung expects its operating profit to halve, 2019-07-05 00:30 UTC), by a German outlet
PROFIT_DE = """# Samsung rechnet mit Gewinneinbruch wegen fallender Speicherchip-Preise
published: 2019-07-05T03:15:00Z
url: https://rheinkurier.example/wirtschaft/samsung-gewinn

SEOUL (Rheinkurier) – Der südkoreanische Elektronikkonzern Samsung Electronics erwartet für das zweite Quartal einen Einbruch des operativen Gewinns um mehr als die Hälfte auf rund 6,5 Billionen Won. Grund seien die weiter fallenden Preise für Speicherchips, teilte das Unternehmen am Freitag mit.

Die Nachfrage von Rechenzentren und Smartphone-Herstellern bleibe schwach, sagten Analysten. Die vollständigen Zahlen will der weltgrößte Hersteller von Speicherchips und Smartphones Ende des Monats vorlegen.

Die Samsung-Aktie legte in Seoul leicht zu, weil die Prognose im Rahmen der Erwartungen lag.
"""

# a different event on sample 01's day, sharing its names: Samsung tests other suppliers' hydrogen fluoride
OTHER_EVENT_KO = """# 삼성전자, 중국·국내산 불화수소 품질 테스트 착수
published: 2019-08-08T09:30:00Z
url: https://hanbit-ilbo.example/economy/samsung-hf-test

서울(한빛일보) – 삼성전자가 일본의 수출 규제로 들여오기 어려워진 고순도 불화수소를 대신하기 위해 중국과 국내 업체 제품의 품질 테스트에 들어갔다고 업계 관계자가 8일 밝혔다.

테스트 결과가 나오기까지는 두세 달이 걸릴 것으로 보인다. SK하이닉스도 비슷한 시험을 진행하고 있다.

업계는 반도체 공정에서 웨이퍼 세정에 쓰이는 불화수소의 재고가 몇 달 치에 불과하다고 보고 있다.
"""

CASES = {  # file name of the report -> the sample it must join
    "photoresist-ko.md": ("01-japan-approves-photoresist-samsung.md", PHOTORESIST_KO),
    "rate-cut-ja.md": ("10-bank-of-korea-rate-cut.md", RATE_CUT_JA),
    "profit-de.md": ("07-samsung-quarterly-profit.md", PROFIT_DE),
}
