from employees.templatetags.employee_search import highlight


def test_marks_every_match_ignoring_case_and_accents():
    assert highlight("José García", "jose GARCIA") == "<mark>José</mark> <mark>García</mark>"


def test_marks_letters_unicode_does_not_decompose():
    assert highlight("Łukasz Østergaard", "lukasz oster") == "<mark>Łukasz</mark> <mark>Øster</mark>gaard"
    assert highlight("Lukasz", "łukasz") == "<mark>Lukasz</mark>"


def test_marks_letters_that_fold_to_two():
    # The search finds "Straße" for "strasse" and "Ægir" for "aegir": the page must show where.
    assert highlight("Straße", "strasse") == "<mark>Straße</mark>"
    assert highlight("Ægir Ode", "aegir") == "<mark>Ægir</mark> Ode"


def test_marks_every_occurrence_and_merges_overlaps():
    assert highlight("Banana", "an nan") == "B<mark>anan</mark>a"


def test_escapes_the_text_and_the_marked_parts():
    assert highlight("<b>Ana</b> & co", "ana") == "&lt;b&gt;<mark>Ana</mark>&lt;/b&gt; &amp; co"


def test_leaves_text_unmarked_without_a_usable_query():
    assert highlight("Ana <i>", "") == "Ana &lt;i&gt;"
    assert highlight("Ana", "a") == "Ana"
    assert highlight("Ana", None) == "Ana"


def test_operators_and_wildcards_in_the_query_mark_nothing_of_their_own():
    assert highlight("100% & more", "% & | !:*") == "100% &amp; more"
