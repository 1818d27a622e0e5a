"""Every language the company speaks: the catalogues are complete and compiled, and the pages, the sign-in
page, the admin and the emails speak the reader's language, chosen by Accept-Language or the language menu.

The catalogues are refreshed with `make messages`; a string added to the code or a template without its
translations fails test_every_string_in_the_code_and_templates_is_in_the_catalogues until that is run and the
new entries are translated.
"""

import ast
import gettext
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils.translation.template import templatize

from .factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("employees:list")
TRANSLATED = ["es", "fr", "de"]
CATALOGUES = Path(settings.LOCALE_PATHS[0])
# Where makemessages finds the project's strings; the tests' own strings are not shown to anyone.
SOURCE_DIRS = ["accounts", "directory_site", "employees"]
TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates"]
GETTEXT_FUNCTIONS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]")
TEMPLATIZED_CALL = re.compile(
    r"""\b n?p?gettext \( (?: [^()'"] | '(?:[^'\\]|\\.)*' | "(?:[^"\\]|\\.)*" )* \)""", re.VERBOSE
)


def read_po(path):
    """The entries of a .po file as dicts (msgctxt, msgid, msgid_plural, msgstr: {index: text}, flags)."""
    entries, entry, key = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry is not None:
                entries.append(entry)
            entry = None
            continue
        if entry is None:
            entry = {"msgctxt": None, "msgid": "", "msgid_plural": None, "msgstr": {}, "flags": set()}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            append(entry, key, ast.literal_eval(line))
        else:
            key, _, text = line.partition(" ")
            append(entry, key, ast.literal_eval(text))
    return [entry for entry in entries if entry["msgid"]]


def append(entry, key, text):
    if key.startswith("msgstr"):
        index = int(key[7:-1]) if "[" in key else 0
        entry["msgstr"][index] = entry["msgstr"].get(index, "") + text
    else:
        entry[key] = (entry[key] or "") + text


def catalogue(language):
    return CATALOGUES / language / "LC_MESSAGES" / "django.po"


def strings_in_python():
    """(msgctxt, msgid, msgid_plural, where) of every gettext call with literal text in the Python code."""
    for directory in SOURCE_DIRS:
        for path in Path(settings.BASE_DIR, directory).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                yield from gettext_call(
                    node, f"{path.relative_to(settings.BASE_DIR)}:{getattr(node, 'lineno', 0)}"
                )


def gettext_call(node, origin):
    if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in GETTEXT_FUNCTIONS):
        return
    context, singular, plural = GETTEXT_FUNCTIONS[node.func.id]
    arguments = [arg.value if isinstance(arg, ast.Constant) else None for arg in node.args]
    if len(arguments) <= singular or not isinstance(arguments[singular], str):
        return
    yield (
        arguments[context] if context is not None else None,
        arguments[singular],
        arguments[plural] if plural is not None else None,
        origin,
    )


def strings_in_templates():
    """The same for every {% translate %} and {% blocktranslate %}, as makemessages reads them."""
    for directory in TEMPLATE_DIRS:
        for path in sorted(directory.rglob("*")):
            if path.suffix not in {".html", ".txt"}:
                continue
            code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
            # templatize writes each call with Python literals; the rest of its output is not Python.
            for call in TEMPLATIZED_CALL.finditer(code):
                node = ast.parse(re.sub(r",\s*count\)$", ")", call[0]), mode="eval")
                yield from gettext_call(node.body, path.relative_to(settings.BASE_DIR))


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    entries = read_po(catalogue(language))
    assert len(entries) > 300
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values()) or not e["msgstr"]]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, (
        f"Untranslated in {language}: {untranslated}. Translate them, then `make messages`."
    )
    assert not fuzzy, f"Fuzzy in {language}: {fuzzy}. Check each translation and remove its fuzzy flag."


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders(language):
    for entry in read_po(catalogue(language)):
        allowed = set(PLACEHOLDER.findall(entry["msgid"] + (entry["msgid_plural"] or "")))
        for index, text in entry["msgstr"].items():
            used = set(PLACEHOLDER.findall(text))
            assert used <= allowed, (language, entry["msgid"], index)
            if entry["msgid_plural"] is None:
                assert used == allowed, (language, entry["msgid"])


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_messages_have_every_plural_form_of_the_language(language):
    header = catalogue(language).read_text(encoding="utf-8")
    plurals = int(re.search(r"nplurals=(\d+)", header)[1])
    for entry in read_po(catalogue(language)):
        if entry["msgid_plural"] is not None:
            assert sorted(entry["msgstr"]) == list(range(plurals)), (language, entry["msgid"])


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_is_the_one_written(language):
    """The .mo files are committed, so the site and the tests need no gettext: each says what its .po says."""
    with (CATALOGUES / language / "LC_MESSAGES" / "django.mo").open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    stale = []
    for entry in read_po(catalogue(language)):
        key = entry["msgid"] if entry["msgctxt"] is None else f"{entry['msgctxt']}\x04{entry['msgid']}"
        for index, text in entry["msgstr"].items():
            compiled_text = translations._catalog.get((key, index) if entry["msgid_plural"] else key)
            if compiled_text != text:
                stale.append(entry["msgid"])
    assert not stale, f"{language}'s django.mo is older than its .po: run `make messages`. {stale[:5]}"


def test_every_string_in_the_code_and_templates_is_in_the_catalogues():
    found = [*strings_in_python(), *strings_in_templates()]
    assert len(found) > 300
    for language in TRANSLATED:
        known = {(e["msgctxt"], e["msgid"]) for e in read_po(catalogue(language))}
        missing = sorted(
            {f"{origin}: {msgid!r}" for context, msgid, _, origin in found if (context, msgid) not in known}
        )
        assert not missing, (
            f"Not in the {language} catalogue: {missing}. Run `make messages` and translate the new entries."
        )


def test_the_language_menu_offers_each_language_in_its_own_name(client):
    content = client.get(reverse("login")).content.decode()
    menu = content[content.index('action="/i18n/setlang/"') :]
    menu = menu[: menu.index("</form>")]
    for code, name in [("en", "English"), ("es", "Español"), ("fr", "Français"), ("de", "Deutsch")]:
        assert f'<option value="{code}" lang="{code}"' in menu
        assert f">{name}</option>" in menu
    assert 'name="csrfmiddlewaretoken"' in menu
    assert '<option value="en" lang="en" selected>' in menu


def test_without_a_choice_the_site_speaks_english(reader_client, employee_ana):
    content = reader_client.get(LIST_URL).content.decode()
    assert '<html lang="en">' in content
    assert "Employee Directory" in content
    assert "Departments" in content


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        (
            "es",
            ["Directorio de empleados", "Departamentos", "Organigrama", "Cerrar sesión", "Cambiar idioma"],
        ),
        ("fr", ["Annuaire des employés", "Services", "Organigramme", "Se déconnecter", "Changer de langue"]),
        ("de", ["Mitarbeiterverzeichnis", "Abteilungen", "Organigramm", "Abmelden", "Sprache wechseln"]),
    ],
)
def test_the_list_page_speaks_the_browsers_language(reader_client, employee_ana, language, texts):
    response = reader_client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5")
    content = response.content.decode()
    assert f'<html lang="{language}">' in content
    for text in texts:
        assert text in content
    assert "Sign out" not in content
    assert "Accept-Language" in response["Vary"]


def test_the_sign_in_page_speaks_the_browsers_language(client):
    content = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9").content.decode()
    assert "Iniciar sesión" in content
    assert "¿Ha olvidado su contraseña?" in content
    assert "Forgot your password?" not in content


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("es", ["Correo de trabajo", "Fecha de incorporación", "5 de marzo de 2024", "Editar"]),
        ("fr", ["E-mail professionnel", "Date d'arrivée", "5 mars 2024", "Modifier"]),
        ("de", ["Dienstliche E-Mail", "Eintrittsdatum", "5. März 2024", "Bearbeiten"]),
    ],
)
def test_an_employee_page_speaks_the_language_with_dates_in_its_format(
    editor_client, employee_ana, language, texts
):
    content = editor_client.get(employee_ana.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language).content
    content = content.decode()
    for text in texts:
        assert text in content
    assert "March" not in content


def test_the_language_menu_switches_the_language_and_keeps_it(reader_client, employee_ana):
    response = reader_client.post(
        reverse("set_language"), {"language": "de", "next": LIST_URL}, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"

    # The choice wins over what the browser asks for.
    content = reader_client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="de">' in content
    assert "Abteilungen" in content
    assert '<option value="de" lang="de" selected>' in content


def test_the_language_menu_works_before_signing_in(client):
    client.post(reverse("set_language"), {"language": "fr", "next": reverse("login")})
    assert "Se connecter" in client.get(reverse("login")).content.decode()


def test_the_language_menu_ignores_a_language_the_site_does_not_speak(client):
    response = client.post(reverse("set_language"), {"language": "xx", "next": reverse("login")})
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_messages_and_form_errors_speak_the_language(editor_client, employee_ana):
    response = editor_client.post(
        reverse("employees:delete", args=[employee_ana.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert f"{employee_ana.full_name} a été supprimé." in response.content.decode()


def test_the_admin_speaks_the_language_with_djangos_own_translations(admin_client):
    content = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Sitio de administración" in content
    assert "Site administration" not in content
    assert "Empleados" in content


def test_the_reset_email_speaks_the_language_of_the_request(client):
    UserFactory(username="lucia", email="lucia@example.com")
    client.post(reverse("password_reset"), {"email": "lucia@example.com"}, HTTP_ACCEPT_LANGUAGE="es")
    [message] = mail.outbox
    assert message.subject == "Restablezca su contraseña del Directorio de empleados de testserver"
    body = " ".join(message.body.split())
    assert "Alguien ha pedido restablecer la contraseña de la cuenta «lucia»" in body
    assert "Para elegir una contraseña nueva, abra este enlace:" in body


@pytest.fixture
def employee_ana(db):
    return EmployeeFactory(
        full_name="Ana García",
        work_email="ana@example.com",
        start_date=date(2024, 3, 5),
        start_date_visibility="everyone",
    )
