import json

import pytest

from nodecheck import hf_encode
from sealens import world
from sealens.build_pack import KEEP_SPLIT, distractors
from sealens.tokenizers import BOS, SPACE, SPECIALS, BPETokenizer, WordTokenizer


@pytest.fixture(scope="module")
def tok():
    corpus = ["a large red circle and a small purple triangle on a brick wall.", "blue hexagon, sand."] * 5
    corpus += world.world_words() * 3 + distractors()
    return BPETokenizer.train(corpus, keep_split=KEEP_SPLIT)


def test_specials_and_splits(tok):
    assert [tok.vocab[s] for s in SPECIALS] == [0, 1, 2, 3]
    for w in KEEP_SPLIT:
        assert len(tok.word_pieces(w)) >= 2, w                 # Eq. 10 needs multi-token words
    for w in ["red", "circle", "grass", "house", "music"]:
        assert len(tok.word_pieces(w)) == 1, w
    whole = [t for t in tok.vocab if t.startswith(SPACE) and t[1:].isalpha()]
    assert len(whole) > 300                                     # distractor words beyond the world's
    assert tok.encode("red", add_bos=True)[0] == BOS
    assert tok.decode(tok.encode("the hexagon, café 42")) == "the hexagon, café 42"   # byte fallback


def test_tokenizer_json_loads_in_huggingface_tokenizers(tok, tmp_path):
    (tmp_path / "tokenizer.json").write_text(json.dumps(tok.to_json()))
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(tok.config_json()))
    again = BPETokenizer.from_json(json.loads((tmp_path / "tokenizer.json").read_text()))
    texts = ["a large red circle and a small purple triangle on a brick wall.", "the hexagon, sand.",
             "Zebra xylophone 42 café", " two  spaces", "brick"]
    assert [again.encode(t) for t in texts] == [tok.encode(t) for t in texts]
    res = hf_encode(tmp_path / "tokenizer.json", tmp_path / "tokenizer_config.json", texts, tmp_path / "node")
    for t, r in zip(texts, res):
        assert r["ids"] == tok.encode(t), t
        assert r["idsWithSpecial"] == [BOS] + tok.encode(t), t
    assert res[0]["decoded"] == texts[0]


def test_word_tokenizer_round_trip():
    wt = WordTokenizer.build(["a", "red", "circle", "."])
    ids, mask = wt.batch(["a red circle.", "a zebra"], 6)
    assert ids[0, :4].tolist() == [wt.vocab[w] for w in ["a", "red", "circle", "."]] and mask[0].sum() == 4
    assert ids[1, 1] == 1                                        # <unk>
    assert WordTokenizer.from_json(wt.to_json()).vocab == wt.vocab
