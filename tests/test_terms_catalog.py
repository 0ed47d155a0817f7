"""The message catalogue: complete translations, plural forms, Babel's formats, a third locale
that is only a file, and a clear error without Babel or for an unknown locale."""

from __future__ import annotations

import re
import shutil
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reciprocity import MissingDependency, Money, UnknownLocale, seed_program
from reciprocity.terms import catalog
from reciprocity.terms.catalog import LOCALES_DIR, _read, available_locales, catalogue, placeholders

pytest.importorskip("babel", reason="the catalogue needs Babel: pip install 'reciprocity[i18n]'")

SOURCE = Path(catalog.__file__).resolve().parent


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    catalogue.cache_clear()


def template() -> dict[str, tuple[str, ...]]:
    return _read(LOCALES_DIR / "reciprocity.pot")[0]


class TestFiles:
    @pytest.mark.parametrize("locale", [loc for loc in available_locales() if loc != "en"])
    def test_every_message_is_translated(self, locale: str) -> None:
        """Each translation has every key of the template, with every plural form, and no
        key the template does not have."""
        source = template()
        _, translated, expression = _read(LOCALES_DIR / f"{locale}.po")
        assert expression
        assert sorted(set(source) - set(translated)) == []
        assert sorted(set(translated) - set(source)) == []
        for key, forms in source.items():
            assert len(translated[key]) == len(forms), key

    @pytest.mark.parametrize("locale", [loc for loc in available_locales() if loc != "en"])
    def test_placeholders_match(self, locale: str) -> None:
        """A translation uses only the placeholders its English message has, and all of those
        except ``{n}`` (German writes "einen Punkt", not "1 Punkt")."""
        source = template()
        _, translated, _ = _read(LOCALES_DIR / f"{locale}.po")
        for key, forms in source.items():
            wanted = set().union(*(placeholders(f) for f in forms))
            for form in translated[key]:
                have = set(placeholders(form))
                assert have <= wanted, (key, form)
                assert wanted - {"n"} <= have, (key, form)

    def test_every_literal_key_exists(self) -> None:
        """Every message key the code names literally is in the template (keys built with an
        f-string are covered by the property tests, which render every feature)."""
        keys = set(template())
        pattern = re.compile(r"""\.t\(\s*["']([a-z_.]+)["']""")
        used = {key for path in SOURCE.glob("*.py")
                for key in pattern.findall(path.read_text(encoding="utf-8"))}
        assert used, "no key found: the pattern is wrong"
        assert sorted(used - keys) == []


class TestCatalogue:
    def test_plural_forms(self) -> None:
        """The catalogue's plural rule picks the form; German writes "einen Punkt"."""
        de = catalogue("de")
        assert de.t("req.points", n=1) == "ein Punkt"
        assert de.t("req.points", n=0) == "0 Punkte"
        assert de.t("req.points", n=2) == "2 Punkte"
        assert catalogue("en").t("req.points", n=1) == "one point"

    def test_unknown_key_and_missing_value(self) -> None:
        """A key that does not exist, or a placeholder without a value, fails loudly."""
        with pytest.raises(KeyError, match="no message 'nope'"):
            catalogue("en").t("nope")
        with pytest.raises(KeyError, match=r"\{amount\} has no value"):
            catalogue("en").t("req.spend")

    @pytest.mark.parametrize(("locale", "eur", "jpy", "pct", "day", "month_day", "factor"), [
        ("en", "1,050.00 EUR", "1,050 JPY", "12.5%", "Dec 31, 2026", "December 1", "×1.5"),
        ("de", "1.050,00 EUR", "1.050 JPY", "12,5 %", "31.12.2026", "1. Dezember", "×1,5"),
    ])
    def test_formats(self, locale: str, eur: str, jpy: str, pct: str, day: str,
                     month_day: str, factor: str) -> None:
        """Money with the currency's decimals, percent, dates and numbers per locale, with
        plain spaces."""
        c = catalogue(locale)
        assert c.money(Money("1050", "EUR")) == eur
        assert c.money(Money("1050", "JPY")) == jpy
        assert c.percent(Decimal("12.5")) == pct
        assert c.date(date(2026, 12, 31)) == day
        assert c.date(datetime(2026, 12, 31, 23, 30, tzinfo=ZoneInfo("UTC")),
                      ZoneInfo("Europe/Berlin")) == c.date(date(2027, 1, 1))
        assert c.month_day(12, 1) == month_day
        assert c.t("format.factor", factor=c.number(Decimal("1.50"))) == factor

    def test_ordinals(self) -> None:
        """Ordinals follow the locale's ordinal categories."""
        assert [catalogue("en").ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 102)] == [
            "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "102nd"]
        assert catalogue("de").ordinal(5) == "5."

    def test_unknown_locale(self) -> None:
        """A locale without a catalogue is refused, naming those there are."""
        with pytest.raises(UnknownLocale, match="locale='fr' has no message catalogue; use "
                           "one of 'de', 'en'") as info:
            seed_program().terms("fr")
        assert info.value.code == "unknown-locale"
        assert isinstance(info.value, ValueError)

    def test_without_babel(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without Babel, terms raise MissingDependency naming the extra; nothing else
        breaks."""
        monkeypatch.setitem(sys.modules, "babel", None)
        with pytest.raises(MissingDependency, match=r"reciprocity\[i18n\]"):
            seed_program().terms("de")
        assert "1 point" in seed_program().explain()


class TestThirdLocale:
    def test_a_po_file_is_a_new_locale(self, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
        """A copy of the template with translations is a new locale, with no code."""
        shutil.copy(LOCALES_DIR / "reciprocity.pot", tmp_path / "reciprocity.pot")
        shutil.copy(LOCALES_DIR / "de.po", tmp_path / "de.po")
        text = (LOCALES_DIR / "de.po").read_text(encoding="utf-8")
        text = text.replace('"Language: de\\n"', '"Language: de_CH\\n"')
        text = text.replace('msgstr "Punkte verfallen nicht."',
                            'msgstr "Punkte verfallen nie, versprochen."')
        (tmp_path / "de_CH.po").write_text(text, encoding="utf-8")
        monkeypatch.setattr(catalog, "LOCALES_DIR", tmp_path)
        assert "de_CH" in catalog.available_locales()
        terms = seed_program().terms("de_CH")
        assert "Punkte verfallen nie, versprochen." in terms
        assert "über 50.00 EUR" in terms  # Babel's Swiss number format
