"""Officials files: every bad row reported with its line and reason, nothing imported on error, round trip."""

from __future__ import annotations

from tests.test_cli import run

GOOD = """\
organisations:
  - {id: kommun-x, name: "Exempelkommunen", authority: kommun, place: "https://video.example.org/{ref}"}
officials:
  - id: eva
    name: "Eva Exempel"
    organisation: kommun-x
    topics: [kommun, lokaler]
    municipalities: [Exempelby]
    address: "tg:1001"
    availability: {mon: ["09:00-11:00"], thu: ["13:00-15:30"]}
"""

BAD = """\
organisations:
  - {id: Bad Id, name: "", authority: nosuch}
officials:
  - id: eva
    name: "Eva Exempel"
    organisation: kommun-x
    topics: [kommun, spaceflight]
    address: "fax:123"
    lang: fi
    availability: {mon: ["11:00-09:00"], someday: ["09:00-10:00"]}
  - id: eva
    name: "Eva Igen"
    organisation: demo-kommun
    topics: [kommun]
"""


def test_import_reports_every_bad_row_and_imports_nothing(tmp_path):
    before = run(["officials", "list"], tmp_path).stdout
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    result = run(["officials", "import", str(path)], tmp_path)
    assert result.returncode == 1
    err = result.stderr
    for expected in ("rad 2: ogiltigt id", 'rad 2: "name" saknas', 'rad 2: okänd myndighet "nosuch"',
                     'rad 4: okänd organisation "kommun-x"', 'rad 4: okänt ämne "spaceflight"', 'rad 4: ogiltig adress "fax:123"',
                     'rad 4: okänt språk "fi"', 'rad 4: ogiltig tid "11:00-09:00"', 'rad 4: okänd veckodag "someday"',
                     'rad 11: id "eva" finns redan'):
        assert expected in err, (expected, err)
    assert run(["officials", "list"], tmp_path).stdout == before


def test_yaml_syntax_error_names_its_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("officials:\n  - id: a\n    name: [unclosed\n", encoding="utf-8")
    result = run(["officials", "import", str(path)], tmp_path)
    assert result.returncode == 1 and "YAML-fel" in result.stderr


def test_csv_import_and_errors(tmp_path):
    good = tmp_path / "ok.csv"
    good.write_text("id,name,organisation,topics,municipalities,address,lang,active,availability\n"
                    "olle,Olle Exempel,demo-af,anstallningsstod;asf,,mx:@olle:example.org,sv,true,mon 09:00-12:00; wed 13:00-16:00\n",
                    encoding="utf-8")
    result = run(["officials", "import", str(good)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "olle\tOlle Exempel\tArbetsförmedlingen (demo)\tanstallningsstod,asf\tmx:@olle:example.org" in run(["officials", "list"], tmp_path).stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,organisation,topics,colour\nx,X,demo-af,asf,blue\n", encoding="utf-8")
    result = run(["officials", "import", str(bad)], tmp_path)
    assert result.returncode == 1 and 'rad 1: okänd kolumn "colour"' in result.stderr
    bad.write_text("id,name,organisation,topics,active,availability\nx,X,demo-af,asf,maybe,mon 9-12\n", encoding="utf-8")
    result = run(["officials", "import", str(bad)], tmp_path)
    assert 'rad 2: active ska vara true eller false' in result.stderr and 'rad 2: ogiltig tid "9-12"' in result.stderr


def test_import_then_export_round_trips(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = run(["officials", "import", "--deactivate-others", str(path)], tmp_path)
    assert result.returncode == 0 and "1 organisationer, 1 tjänstepersoner" in result.stdout
    listing = run(["officials", "list"], tmp_path).stdout
    assert "eva\tEva Exempel\tExempelkommunen\tkommun,lokaler\ttg:1001\taktiv" in listing
    assert "demo-anna" in listing and "inaktiv" in listing
    exported = tmp_path / "export.yaml"
    assert run(["officials", "export", str(exported)], tmp_path).returncode == 0
    text = exported.read_text(encoding="utf-8")
    assert "09:00-11:00" in text and "13:00-15:30" in text and "Exempelby" in text
    again = run(["officials", "import", str(exported)], tmp_path)
    assert again.returncode == 0, again.stderr
    assert run(["officials", "list"], tmp_path).stdout == listing
