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


MAIL = """\
organisations:
  - {id: kommun-x, name: "Exempelkommunen", authority: kommun}
officials:
  - id: eva
    name: "Eva Exempel"
    organisation: kommun-x
    topics: [kommun]
    email: eva@kommun.example
    notify_via: email
  - id: per
    name: "Per Exempel"
    organisation: kommun-x
    topics: [kommun]
    address: "tg:2002"
    email: Per@Kommun.example
  - id: kim
    name: "Kim Exempel"
    organisation: kommun-x
    topics: [kommun]
    address: "tg:2003"
"""


def test_email_and_notify_via_import_list_and_export(tmp_path):
    path = tmp_path / "mail.yaml"
    path.write_text(MAIL, encoding="utf-8")
    result = run(["officials", "import", str(path)], tmp_path)
    assert result.returncode == 0, result.stderr
    listing = run(["officials", "list"], tmp_path).stdout
    assert "eva\tEva Exempel\tExempelkommunen\tkommun\t-\taktiv\teva@kommun.example\te-post" in listing
    assert "per\tPer Exempel\tExempelkommunen\tkommun\ttg:2002\taktiv\tPer@Kommun.example\tchatt och e-post" in listing
    assert "kim\tKim Exempel\tExempelkommunen\tkommun\ttg:2003\taktiv\t-\tchatt" in listing
    english = run(["officials", "list"], tmp_path, env={"DUKAT_LANG": "en"}).stdout
    assert "eva@kommun.example\te-mail" in english

    exported = tmp_path / "export.yaml"
    assert run(["officials", "export", str(exported)], tmp_path).returncode == 0
    text = exported.read_text(encoding="utf-8")
    assert "email: eva@kommun.example" in text and "notify_via: email" in text
    assert "email: Per@Kommun.example" in text and text.count("notify_via:") == 1  # per and kim: the default
    as_csv = tmp_path / "export.csv"
    assert run(["officials", "export", str(as_csv)], tmp_path).returncode == 0
    rows = as_csv.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "id,name,organisation,topics,municipalities,address,email,notify_via,lang,active,availability"
    assert any(r.startswith("eva,Eva Exempel,kommun-x,kommun,,,eva@kommun.example,email,sv,true") for r in rows)
    for again in (exported, as_csv):
        result = run(["officials", "import", str(again)], tmp_path)
        assert result.returncode == 0, result.stderr
        assert run(["officials", "list"], tmp_path).stdout == listing


def test_bad_email_or_notify_via_imports_nothing(tmp_path):
    before = run(["officials", "list"], tmp_path).stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(MAIL.replace("eva@kommun.example", "eva(at)kommun").replace("tg:2003\"", "tg:2003\"\n    notify_via: fax")
                   .replace("Per@Kommun.example", "eva(at)kommun"), encoding="utf-8")
    result = run(["officials", "import", str(bad)], tmp_path)
    assert result.returncode == 1
    assert 'rad 4: ogiltig e-postadress "eva(at)kommun"' in result.stderr
    assert 'notify_via måste vara chat, email eller both, inte "fax"' in result.stderr
    csv = tmp_path / "bad.csv"
    csv.write_text("id,name,organisation,topics,address,email,notify_via\n"
                   "ada,Ada,demo-af,asf,,,email\n"
                   "bo,Bo,demo-af,asf,,bo@af.example,\n"
                   "cy,Cy,demo-af,asf,,BO@af.example,both\n"
                   'dag,Dag,demo-af,asf,,"dag@af.example\nBcc: x@evil.example",\n', encoding="utf-8")
    result = run(["officials", "import", str(csv)], tmp_path, env={"DUKAT_LANG": "en"})
    assert result.returncode == 1
    assert 'line 2: notify_via "email" needs an e-mail address (email)' in result.stderr
    assert 'line 4: the e-mail address "BO@af.example" appears earlier in the file' in result.stderr
    assert 'line 6: invalid e-mail address "dag@af.example\nBcc: x@evil.example"' in result.stderr  # a quoted cell's line
    assert run(["officials", "list"], tmp_path).stdout == before
