from bot.catalogue import Catalogue


def test_swedish_and_english_have_the_same_keys_and_placeholders():
    catalogue = Catalogue.load()
    sv, en = catalogue.keys("sv"), catalogue.keys("en")
    assert sv == en, f"only sv: {sorted(sv - en)}; only en: {sorted(en - sv)}"
    for key in sv:
        assert catalogue.placeholders("sv", key) == catalogue.placeholders("en", key), key


def test_missing_english_text_falls_back_to_swedish():
    catalogue = Catalogue({"sv": {"x.y": "hej {name}"}, "en": {}})
    assert catalogue.text("en", "x.y", name="Anna") == "hej Anna"
